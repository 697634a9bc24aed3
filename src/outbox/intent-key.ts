/**
 * The idempotency key of an intent, derived once when it is enqueued and stored with it:
 * every delivery, after any crash and on any host, sends the same key. With a business key
 * it is the key a direct call with the same business key would send (same provider and
 * operation), so a write made directly and replayed from the outbox is still one write.
 */
import { randomId } from "../runtime/portable/random-id.js";
import { deriveIdempotencyKey, isWellFormedIdempotencyKey } from "../runtime/policies/idempotency.js";
import { OutboxInputError } from "./errors.js";

export interface KeyOptions {
  readonly idempotencyKey?: string;
  readonly businessKey?: unknown;
}

export function intentKey(provider: string, operation: string, options: KeyOptions): string {
  if (options.idempotencyKey !== undefined) {
    if (!isWellFormedIdempotencyKey(options.idempotencyKey)) throw new OutboxInputError(`${operation}: the idempotency key must be 1 to 255 visible ASCII characters`);
    return options.idempotencyKey;
  }
  return options.businessKey !== undefined ? deriveIdempotencyKey(provider, operation, options.businessKey) : `cw1-${randomId()}`;
}
