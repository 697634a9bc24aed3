/**
 * Repair through the outbox: each missing record becomes an intent to write it again, keyed
 * by its business key. The idempotency key is derived from that key, so handing the same
 * record over twice (a batch repeated after a crash, a second reconcile run) records one
 * intent, and the provider sees one write.
 */
import { randomUUID } from "node:crypto";
import { intentKey } from "../outbox/intent-key.js";
import type { Json, NewIntent, OutboxStore } from "../outbox/outbox-store.js";
import type { Key, KeyOf } from "./types.js";

export interface OutboxRepairOptions<S> {
  /** The provider the outbox delivers to (as its client names itself: `fhir`, `fhir-r4`). */
  readonly provider: string;
  /** The outbox operation that writes one record (`Patient.ensure`). */
  readonly operation: string;
  readonly key: KeyOf<S>;
  /** The operation's input for a record. Default: the record itself. */
  readonly input?: (record: S) => Json;
  readonly tenant?: string;
  /** Epoch ms for the store. Default Date.now. */
  readonly now?: () => number;
}

/** A `repair` callback for `reconcile` that enqueues every missing record in `store`, due at once. */
export function outboxRepair<S>(store: Pick<OutboxStore, "add">, options: OutboxRepairOptions<S>): (missing: readonly S[]) => Promise<void> {
  const now = options.now ?? Date.now;
  const input = options.input ?? ((record: S) => record as unknown as Json);
  return async (missing) => {
    const at = now();
    const intents = missing.map((record): NewIntent => {
      const businessKey: Key | undefined = options.key(record);
      return {
        id: randomUUID(),
        operation: options.operation,
        input: input(record),
        idempotencyKey: intentKey(options.provider, options.operation, { businessKey }),
        notBefore: at,
        ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
      };
    });
    if (intents.length > 0) await store.add(intents, at);
  };
}
