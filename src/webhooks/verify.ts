/**
 * Verifying a webhook on its raw body: the exact bytes the sender signed, never a body a
 * framework parsed and serialized again (that changes spacing and key order, and the
 * signature with it). Everything read from the request (headers, body, JSON) is checked
 * inside this boundary and refused with a typed WebhookError.
 */
import { WebhookConfigError, WebhookMalformedError, WebhookSignatureError, WebhookTimestampError, WebhookTooLargeError } from "./errors.js";
import { contentDigest, hmacMatches, importKey, signedContent, type HmacKey } from "./hmac.js";
import { isEventId } from "./inbox.js";
import { failureName } from "./observe.js";
import { standardWebhooks, type WebhookScheme } from "./schemes.js";
import { decodeBase64, decodeHex, secretList, type WebhookSecret } from "./secrets.js";

/** Headers as Node gives them (`req.headers`), as a plain record, or a Fetch `Headers`. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface WebhookRequest {
  readonly headers: WebhookHeaders;
  /** The raw body as received. */
  readonly body: string | Uint8Array;
}

export interface VerifyOptions<T = unknown> {
  /** The signing secret, or several while one is rotated out (any one may match). */
  readonly secrets: WebhookSecret | readonly WebhookSecret[];
  /** Default Standard Webhooks. */
  readonly scheme?: WebhookScheme;
  /** How far the timestamp may be from now, either way, in seconds. Default 300. */
  readonly toleranceSeconds?: number;
  /** Largest body read. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  readonly clock?: { now(): number };
  /** Checks and types the payload (a zod schema's `parse`, say); a throw refuses the webhook as malformed. */
  readonly parse?: (payload: unknown) => T;
}

export interface VerifiedWebhook<T = unknown> {
  /** The dedupe id: the sender's id when it is signed, else `sha256:<hex>` of the signed content. */
  readonly id: string;
  /** Unix seconds, when the scheme carries a timestamp. */
  readonly timestamp: number | undefined;
  /** The payload's `type`, when it has one (`patient.updated`). */
  readonly type: string | undefined;
  readonly payload: T;
  /** The body as received, as text. */
  readonly raw: string;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const UNIX_SECONDS = /^\d{1,12}$/;

/** A verifier that imports its keys once, for a receiver that checks many webhooks. */
export function webhookVerifier<T = unknown>(options: VerifyOptions<T>): (request: WebhookRequest) => Promise<VerifiedWebhook<T>> {
  const scheme = options.scheme ?? standardWebhooks;
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) throw new WebhookConfigError("toleranceSeconds must be a positive number");
  if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new WebhookConfigError("maxBodyBytes must be a positive integer");
  const keys = Promise.all(secretList(options.secrets).map(importKey));
  keys.catch(() => undefined);
  const now = () => (options.clock ?? Date).now();

  return async (request) => {
    const body = typeof request.body === "string" ? new TextEncoder().encode(request.body) : request.body;
    if (!(body instanceof Uint8Array)) throw new WebhookMalformedError("the webhook body must be the raw text or bytes as received");
    if (body.length > maxBytes) throw new WebhookTooLargeError(maxBytes);
    const read = headerReader(request.headers);
    const signature = read(scheme.signatureHeader);
    if (signature === undefined) throw new WebhookMalformedError(`the webhook has no ${scheme.signatureHeader} header`);
    const { macs, timestampText } = parseSignatures(scheme, signature);
    const headerId = scheme.idHeader === undefined ? undefined : read(scheme.idHeader);
    if (scheme.idHeader !== undefined && !isEventId(headerId)) throw new WebhookMalformedError(`the webhook's ${scheme.idHeader} header is missing or not an id`);
    const stamp = scheme.timestampHeader !== undefined ? read(scheme.timestampHeader) : timestampText;
    const carriesTimestamp = scheme.timestampHeader !== undefined || (scheme.format.kind === "pairs" && scheme.format.timestampKey !== undefined);
    if (carriesTimestamp && (stamp === undefined || !UNIX_SECONDS.test(stamp))) throw new WebhookMalformedError("the webhook's timestamp is missing or not unix seconds");
    const timestamp = carriesTimestamp ? Number(stamp) : undefined;

    const content = signedContent(scheme.signedPrefix({ id: headerId, timestamp }), body);
    if (!(await anyMatches(await keys, macs, content))) throw new WebhookSignatureError("no webhook signature matches a configured secret");
    if (timestamp !== undefined) checkTolerance(timestamp, now() / 1000, tolerance);

    const raw = decodeText(body);
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      throw new WebhookMalformedError("the webhook body is not JSON");
    }
    // An id header outside the signed content can be changed at will: dedupe on what was signed.
    const id = headerId === undefined ? idInPayload(payload) : scheme.idSigned === true ? headerId : `sha256:${await contentDigest(content)}`;
    const type = isRecord(payload) && typeof payload.type === "string" ? payload.type : undefined;
    let typed: T;
    try {
      typed = options.parse ? options.parse(payload) : (payload as T);
    } catch (error) {
      // The parser's message may quote the payload (PHI): only its class name is kept.
      throw new WebhookMalformedError("the webhook payload does not have the expected shape", { parseError: failureName(error) });
    }
    return { id, timestamp, type, payload: typed, raw };
  };
}

/** Verifies one webhook; see webhookVerifier for a receiver that checks many. */
export function verifyWebhook<T = unknown>(request: WebhookRequest, options: VerifyOptions<T>): Promise<VerifiedWebhook<T>> {
  return webhookVerifier(options)(request);
}

function headerReader(headers: WebhookHeaders): (name: string) => string | undefined {
  if (typeof (headers as Headers).get === "function") return (name) => (headers as Headers).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const lower = new Map(Object.keys(record ?? {}).map((key) => [key.toLowerCase(), key]));
  return (name) => {
    const key = lower.get(name);
    const value = key === undefined ? undefined : record[key];
    const text = Array.isArray(value) ? value.join(" ") : value;
    return typeof text === "string" ? text.trim() : undefined;
  };
}

function parseSignatures(scheme: WebhookScheme, header: string): { macs: Uint8Array[]; timestampText: string | undefined } {
  const decode = scheme.encoding === "hex" ? decodeHex : decodeBase64;
  const format = scheme.format;
  let encoded: string[];
  let timestampText: string | undefined;
  if (format.kind === "list") {
    const entries = format.separator === undefined ? [header] : header.split(format.separator);
    encoded = entries.filter((e) => e.startsWith(format.prefix)).map((e) => e.slice(format.prefix.length));
  } else {
    const pairs = header.split(",").map((p) => p.trim().split("=")).filter((p) => p.length === 2) as Array<[string, string]>;
    encoded = pairs.filter(([k]) => k === format.signatureKey).map(([, v]) => v);
    timestampText = pairs.find(([k]) => k === format.timestampKey)?.[1];
  }
  // At most a handful: a header with hundreds of entries is a way to make us compute HMACs.
  const macs = encoded.slice(0, 16).flatMap((e) => decode(e) ?? []);
  return { macs: macs.filter((m) => m.length === 32), timestampText };
}

async function anyMatches(keys: readonly HmacKey[], macs: readonly Uint8Array[], content: Uint8Array): Promise<boolean> {
  for (const key of keys) for (const mac of macs) if (await hmacMatches(key, mac, content)) return true;
  return false;
}

function checkTolerance(timestamp: number, nowSeconds: number, tolerance: number): void {
  const skew = nowSeconds - timestamp;
  if (skew > tolerance) throw new WebhookTimestampError("too-old", Math.floor(skew), tolerance);
  if (-skew > tolerance) throw new WebhookTimestampError("too-new", Math.floor(-skew), tolerance);
}

function decodeText(body: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new WebhookMalformedError("the webhook body is not UTF-8 text");
  }
}

function idInPayload(payload: unknown): string {
  const id = isRecord(payload) ? payload.id : undefined;
  if (isEventId(id)) return id;
  throw new WebhookMalformedError("the webhook carries no event id (no id header and no `id` in the payload)");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
