/**
 * Why a webhook was refused or could not be kept, as classes with a stable `kind`. No
 * message quotes a body, a header value or a secret: bodies hold PHI, and a signature or
 * secret in a log would let anyone forge deliveries.
 */
import { KindedError } from "../runtime/core/kinded-error.js";

export type WebhookErrorKind = "webhook-signature" | "webhook-timestamp" | "webhook-malformed" | "webhook-too-large" | "webhook-timeout" | "webhook-config" | "webhook-inbox";

export abstract class WebhookError extends KindedError<WebhookErrorKind> {}

/** No signature matched any accepted secret (forged, tampered, or signed with a retired secret). */
export class WebhookSignatureError extends WebhookError { readonly kind = "webhook-signature" as const; }

/** Genuinely signed, but sent outside the tolerance: replayed later, or the sender's clock is off. */
export class WebhookTimestampError extends WebhookError {
  readonly kind = "webhook-timestamp" as const;
  constructor(
    readonly reason: "too-old" | "too-new",
    /** How far from now the timestamp is, in seconds (positive). */
    readonly skewSeconds: number,
    readonly toleranceSeconds: number,
  ) {
    super(`the webhook's timestamp is ${skewSeconds} s ${reason === "too-old" ? "in the past" : "in the future"} (tolerance ${toleranceSeconds} s)`);
  }
}

/** A header is missing or unreadable, or the body is not the JSON the app expects. */
export class WebhookMalformedError extends WebhookError {
  readonly kind = "webhook-malformed" as const;
  /** The class name of the app's `parse` error when that refused the payload (its message may quote the payload, so it is not kept). */
  readonly parseError: string | undefined;
  constructor(message: string, detail: { readonly parseError?: string } = {}) {
    super(message);
    this.parseError = detail.parseError;
  }
}

/** The body is larger than the receiver reads; reading stopped at the bound. */
export class WebhookTooLargeError extends WebhookError {
  readonly kind = "webhook-too-large" as const;
  constructor(readonly maxBytes: number) {
    super(`the webhook body is larger than ${maxBytes} bytes`);
  }
}

/** The sender did not finish sending the body within the deadline. */
export class WebhookTimeoutError extends WebhookError {
  readonly kind = "webhook-timeout" as const;
  constructor(readonly timeoutMs: number) {
    super(`the webhook body did not arrive within ${timeoutMs} ms`);
  }
}

/** The receiver's own configuration cannot work (no secret, a secret that does not decode, a bad option). */
export class WebhookConfigError extends WebhookError { readonly kind = "webhook-config" as const; }

/** The inbox could not record or read events (database down, disk full). Nothing was acknowledged. */
export class WebhookInboxError extends WebhookError { readonly kind = "webhook-inbox" as const; }
