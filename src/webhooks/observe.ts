/**
 * What the receiver tells operators, one observation per thing that happened, for counters
 * and logs. Observations carry ids, types and reasons, never a body or a header value.
 */
import type { WebhookErrorKind } from "./errors.js";

export type WebhookObservation =
  /** Verified and recorded for the first time. */
  | { readonly type: "accepted"; readonly id: string; readonly eventType?: string }
  /** Verified, and already recorded: answered 2xx, not handed off again. */
  | { readonly type: "duplicate"; readonly id: string; readonly eventType?: string }
  /** Refused with `status`; `reason` is the error's kind. */
  | { readonly type: "rejected"; readonly reason: WebhookErrorKind | "method"; readonly status: number }
  /** `onEvent` finished for it. */
  | { readonly type: "handled"; readonly id: string; readonly eventType?: string; readonly attempt: number }
  /** `onEvent` failed; another attempt comes at `retryAt` (epoch ms). */
  | { readonly type: "retry"; readonly id: string; readonly attempt: number; readonly retryAt: number; readonly error: string }
  /** `onEvent` failed `attempt` times: the event is parked as dead (listed, revivable). */
  | { readonly type: "dead"; readonly id: string; readonly attempt: number; readonly error: string }
  /**
   * The lease of an event whose onEvent still runs here was taken over (it ran out while the
   * inbox could not be reached, say): another instance may hand the event off too.
   */
  | { readonly type: "lease-lost"; readonly id: string }
  /** The inbox failed (the request got 503 and the sender will retry; a hand-off is tried again later). */
  | { readonly type: "inbox-error"; readonly action: string };

export type WebhookObserver = (observation: WebhookObservation) => void;

/** An observer that throws must not break intake or hand-off. */
export function safeObserver(observer: WebhookObserver | undefined): WebhookObserver {
  if (observer === undefined) return () => undefined;
  return (observation) => {
    try {
      observer(observation);
    } catch {
      // The operator's hook is theirs to fix; the webhook is not refused for it.
    }
  };
}

/** A failure as kept with an event and told to operators: its class and kind, never its message (it may quote the payload). */
export function failureName(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const kind = (error as { kind?: unknown }).kind;
  return typeof kind === "string" ? `${error.name} (${kind})` : error.name;
}
