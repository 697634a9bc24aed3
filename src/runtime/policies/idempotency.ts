/**
 * Idempotency keys: every non-safe call gets one key for the whole logical call, sent on
 * every attempt, so a retry after a lost response is replayed by the server instead of
 * applied twice. The key is the caller's, or derived from a business key (hashed: never
 * PHI in clear), or random. A write carrying a key is safe to replay where the spec says
 * the provider honours keys.
 */
import { randomId } from "../portable/random-id.js";
import { sha256Hex } from "../portable/sha256.js";
import { noted, refusal, type AttemptPlan, type AttemptResult, type Policy, type Send } from "../core/attempt.js";
import { InvalidRequestError, UnknownOutcomeError } from "../core/errors.js";
import { honoursIdempotencyKeys } from "../core/operation.js";
import { canonicalJson } from "../wire/canonical-json.js";

/** `cw1-` + 40 hex chars of SHA-256(provider, operationId, canonical JSON of the business key). */
export function deriveIdempotencyKey(provider: string, operationId: string, businessKey: unknown): string {
  return `cw1-${sha256Hex(canonicalJson([provider, operationId, businessKey])).slice(0, 40)}`;
}

/** What an Idempotency-Key may be: 1 to 255 visible ASCII characters (it travels as a header). */
export function isWellFormedIdempotencyKey(key: string): boolean {
  return /^[\x20-\x7e]{1,255}$/.test(key);
}

export function idempotencyPolicy(): Policy {
  // A safe call goes straight through, without an async frame of its own.
  return (next) => (plan) => (plan.call.operation.safety === "safe" ? next(plan) : keyed(next, plan));
}

/** A write: one key for every attempt of the call. */
async function keyed(next: Send, plan: AttemptPlan): Promise<AttemptResult> {
  const { operation, options, provider } = plan.call;
  const header = operation.hints.idempotency?.header ?? "Idempotency-Key";
  // A key the caller already put in a header (the operation's own parameter, or the call's headers) is the key.
  const given = plan.call.headerGiven(header);
  const vouched = options.idempotencyKey ?? (typeof given === "string" && given !== "" ? given : undefined);
  // Only a spec that declares the key (`x-carewire-idempotency`) makes a write carrying one
  // replay-safe: a provider that never said it honours keys may apply a repeat again, so
  // there the key is sent (a server that does honour it dedupes) but not counted on. A
  // server known to ignore keys (a FHIR server, say) gets none made up. Either way a key
  // the caller sends does not make a repeat safe: only a conditional request does (`replaySafe`).
  const honoured = honoursIdempotencyKeys(operation.hints);
  if (vouched === undefined && operation.hints.idempotency?.automatic === false) return options.repeat === true && !plan.replaySafe ? unsafeRepeat(plan, undefined) : next(plan);
  const key = vouched ?? (options.businessKey !== undefined ? deriveIdempotencyKey(provider, operation.operationId, options.businessKey) : `cw1-${randomId()}`);
  // The runtime's own complaint would quote the key; a key is the caller's to fix, so say so.
  if (!isWellFormedIdempotencyKey(key)) return refusal(plan, new InvalidRequestError(`${operation.operationId}: the idempotency key must be 1 to 255 visible ASCII characters`));
  const replaySafe = honoured || plan.replaySafe;
  if (options.repeat === true && !replaySafe) return unsafeRepeat(plan, key);
  const result = await next({ ...plan, headers: { ...plan.headers, [header]: key }, idempotencyKey: key, replaySafe });
  return noted(result, { idempotencyKey: key });
}

/** A repeat of a write that may have landed, where a repeat would apply it again: not sent. */
export function unsafeRepeat(plan: AttemptPlan, key: string | undefined): AttemptResult {
  const error = new UnknownOutcomeError(plan.call.fingerprint(), undefined, key, undefined, false);
  return key === undefined ? refusal(plan, error) : noted(refusal(plan, error), { idempotencyKey: key });
}

