/**
 * What the SQLite and PostgreSQL outbox stores share: their tables, the bounds on what one
 * row keeps, and the mapping from a table row to the contract's records. Both stores keep
 * the same columns, so one mapping serves both.
 */
import type { DeadReason, DeliveryRecord, IntentRecord, IntentSummary, Json, NewIntent } from "./outbox-store.js";
import { OutboxError, OutboxInputError, OutboxStoreError } from "./errors.js";
import { checkTime, leaseOwner } from "./store-arguments.js";

/** Delivery records kept per intent (the latest ones): an intent deferred for days keeps a bounded row. */
export const HISTORY_LIMIT = 100;

export const LIVE_TABLE = "carewire_outbox";
export const DEAD_TABLE = "carewire_outbox_dead";
/** The table layout these stores write; a store opening tables of a later version refuses them. */
export const SCHEMA_VERSION = 1;

/**
 * One row as the stores select it. Numbers may come back as strings (PostgreSQL's bigint);
 * JSON comes back as text, so a JSON string value is never mistaken for its own encoding.
 * `input` is null when it was not selected (a listing without bodies).
 */
export interface IntentRow {
  readonly id: string;
  readonly operation: string;
  readonly input: string | null;
  readonly idempotency_key: string;
  readonly tenant: string | null;
  readonly not_before: number | string;
  readonly code_version: string | null;
  readonly status: string;
  readonly created_at: number | string;
  readonly updated_at: number | string;
  readonly deliveries: number | string;
  readonly history: string;
  readonly lease_until: number | string | null;
  /** `<worker>/<random>` while leased (selected by the live table's queries). */
  readonly lease?: string | null;
  readonly committed_at: number | string | null;
  /** The dead letter's reason (dead table only), with or without its body. */
  readonly dead: string | null;
}

/** A new intent as both stores insert it: checked, with its JSON already encoded. */
export interface EncodedIntent {
  readonly id: string;
  readonly operation: string;
  readonly input: string;
  readonly idempotencyKey: string;
  readonly tenant: string | null;
  readonly notBefore: number;
  readonly codeVersion: string | null;
}

export function summaryOf(row: IntentRow): IntentSummary {
  const summary: { -readonly [K in keyof IntentRecord]?: IntentRecord[K] } = {
    id: row.id,
    operation: row.operation,
    idempotencyKey: row.idempotency_key,
    notBefore: Number(row.not_before),
    status: row.status as IntentRecord["status"],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    deliveries: Number(row.deliveries),
    history: JSON.parse(row.history) as DeliveryRecord[],
  };
  if (row.input !== null) summary.input = JSON.parse(row.input) as Json;
  if (row.tenant !== null) summary.tenant = row.tenant;
  if (row.code_version !== null) summary.codeVersion = row.code_version;
  if (row.lease_until !== null && row.status === "pending") summary.leaseUntil = Number(row.lease_until);
  if (typeof row.lease === "string" && row.status === "pending") summary.leasedBy = leaseOwner(row.lease);
  if (row.committed_at !== null) summary.committedAt = Number(row.committed_at);
  if (row.dead !== null) summary.dead = JSON.parse(row.dead) as DeadReason;
  return summary as IntentSummary;
}

/** A full record: the row was read with its bodies. */
export function recordOf(row: IntentRow): IntentRecord {
  return summaryOf(row) as IntentRecord;
}

/**
 * Checks a batch and encodes it. Within one batch the first intent with a key is the one
 * added; `firstOf[i]` is the index of that first one (itself for the first).
 */
export function encodeBatch(intents: readonly NewIntent[]): { readonly unique: EncodedIntent[]; readonly firstOf: number[] } {
  if (!Array.isArray(intents)) throw new OutboxInputError("add takes an array of intents");
  const seen = new Map<string, number>();
  const unique: EncodedIntent[] = [];
  const firstOf: number[] = [];
  intents.forEach((intent, index) => {
    const encoded = encodeIntent(intent);
    const first = seen.get(encoded.idempotencyKey);
    if (first === undefined) {
      seen.set(encoded.idempotencyKey, index);
      unique.push(encoded);
      firstOf.push(index);
    } else firstOf.push(first);
  });
  return { unique, firstOf };
}

/** What `add` answers for one intent. */
export type AddResult = { readonly id: string; readonly added: boolean };

/**
 * The answers to a whole batch from the answers to its unique intents (in `unique`'s order):
 * a repeat of a key within the batch answers as its first occurrence did, but as not added.
 */
export function answersForBatch(firstOf: readonly number[], uniqueAnswers: readonly AddResult[]): AddResult[] {
  const answerAt = new Map<number, AddResult>();
  let next = 0;
  return firstOf.map((first, index) => {
    if (first === index) {
      const answer = uniqueAnswers[next++]!;
      answerAt.set(index, answer);
      return answer;
    }
    return { id: answerAt.get(first)!.id, added: false };
  });
}

function encodeIntent(intent: NewIntent): EncodedIntent {
  if (typeof intent !== "object" || intent === null) throw new OutboxInputError("an intent must be an object");
  for (const field of ["id", "operation", "idempotencyKey"] as const) {
    if (typeof intent[field] !== "string" || intent[field] === "") throw new OutboxInputError(`an intent needs a non-empty string ${field}`);
  }
  for (const field of ["tenant", "codeVersion"] as const) {
    if (intent[field] !== undefined && typeof intent[field] !== "string") throw new OutboxInputError(`an intent's ${field} must be a string`);
  }
  checkTime(intent.notBefore, "notBefore");
  return {
    id: intent.id,
    operation: intent.operation,
    input: encodeJson(intent.input, "an intent's input"),
    idempotencyKey: intent.idempotencyKey,
    tenant: intent.tenant ?? null,
    notBefore: intent.notBefore,
    codeVersion: intent.codeVersion ?? null,
  };
}

/**
 * JSON text for a value that must be JSON. JSON.stringify alone would drop a function without
 * a word and turn NaN into null: the intent sent later would not be the one enqueued, so such
 * values are refused. A field set to undefined is left out, as sending it would.
 */
export function encodeJson(value: unknown, what: string): string {
  if (!isJson(value, 0)) throw new OutboxInputError(`${what} is not JSON (only null, booleans, finite numbers, strings, arrays and plain objects)`);
  return JSON.stringify(value);
}

const MAX_DEPTH = 200;

function isJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => item === undefined || isJson(item, depth + 1));
}

/** A delivery record's JSON; the intent's id and lease are checked by the query that uses them. */
export function encodeRecord(record: DeliveryRecord): string {
  return encodeJson(record, "a delivery record");
}

/**
 * Every failure of the database as the outbox's own error, with the driver's error as the
 * cause: callers handle one type, and nothing from the database crashes the process.
 */
export function storeError(backend: string, action: string, cause: unknown): OutboxError {
  if (cause instanceof OutboxError) return cause;
  return new OutboxStoreError(`${backend} outbox store could not ${action}`, { cause });
}

export function closedError(backend: string): OutboxStoreError {
  return new OutboxStoreError(`the ${backend} outbox store is closed`);
}
