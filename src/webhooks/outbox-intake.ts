/**
 * An accepted webhook turned into outbox intents in the same database transaction that
 * records it. Either both are written or neither (the sender retries, and finds nothing),
 * so each intent exists exactly once even when the process is killed between accepting and
 * handing off: there is no hand-off left to lose. Keys are derived from the event id, so
 * they are the same whatever instance accepts it.
 */
import { encodeBatch, DEAD_TABLE, LIVE_TABLE, type EncodedIntent } from "../outbox/store-rows.js";
import { intentKey } from "../outbox/intent-key.js";
import type { Json, NewIntent } from "../outbox/outbox-store.js";
import { randomId } from "../runtime/portable/random-id.js";
import type { InboxEntry } from "./inbox.js";

export interface OutboxWrite {
  /** The operation's name in the outbox's operation table. */
  readonly operation: string;
  readonly input: Json;
  /** Identifies the logical write; default: the event id and the write's place in the list. */
  readonly businessKey?: unknown;
  readonly tenant?: string;
}

export interface OutboxIntake {
  /** The provider's name, as the outbox's (`client.provider`): keys then match the outbox's own. */
  readonly provider: string;
  /** The writes an event becomes. None: the event is handed to `onEvent` as usual. A throw refuses the event (the sender retries). */
  toWrites(entry: InboxEntry): readonly OutboxWrite[];
  /** Kept with each intent, as the outbox does. */
  readonly codeVersion?: string;
}

/** The event's intents, checked and encoded as the outbox's own stores insert them (a key repeated in the list is written once). */
export function intentValues(intake: OutboxIntake, entry: InboxEntry, now: number): EncodedIntent[] {
  const intents = intake.toWrites(entry).map(
    (write, index): NewIntent => ({
      id: randomId(),
      operation: write.operation,
      input: write.input,
      idempotencyKey: intentKey(intake.provider, write.operation, { businessKey: write.businessKey ?? { webhook: entry.id, write: index } }),
      ...(write.tenant !== undefined ? { tenant: write.tenant } : {}),
      notBefore: now,
      ...(intake.codeVersion !== undefined ? { codeVersion: intake.codeVersion } : {}),
    }),
  );
  return encodeBatch(intents).unique;
}

/**
 * Inserts one intent unless its key is recorded, live or dead: the outbox's own rule. `p(name)`
 * spells a parameter in the dialect (`@id` in SQLite, `$1` in PostgreSQL).
 */
export function insertIntentSql(tables: { live: string; dead: string }, p: (name: keyof EncodedIntent | "now") => string): string {
  return `INSERT INTO ${tables.live} (id, operation, input, idempotency_key, tenant, not_before, code_version, status, created_at, updated_at)
    SELECT ${p("id")}, ${p("operation")}, ${p("input")}, ${p("idempotencyKey")}, ${p("tenant")}, ${p("notBefore")}, ${p("codeVersion")}, 'pending', ${p("now")}, ${p("now")}
    WHERE NOT EXISTS (SELECT 1 FROM ${tables.dead} WHERE idempotency_key = ${p("idempotencyKey")})
    ON CONFLICT (idempotency_key) DO NOTHING`;
}

export const OUTBOX_TABLES = { live: LIVE_TABLE, dead: DEAD_TABLE } as const;
