/**
 * One delivery of one claimed intent: the operation called with the intent's stored
 * idempotency key under a bounded deadline, its result turned into a disposition, and the
 * disposition written back under the claim's lease. Nothing here throws: a store that fails
 * while settling leaves the lease to expire, and the intent is delivered again with the same
 * key, which the provider answers without writing twice.
 */
import type { Clock } from "../runtime/core/clock.js";
import { mayFollowCommit } from "../runtime/core/classify.js";
import type { ResultMeta } from "../runtime/core/meta.js";
import type { CallOptions } from "../runtime/core/types.js";
import { dispositionOf, jsonOf, type DeliveredError, type DeliveryRules, type Disposition } from "./disposition.js";
import type { OperationTable, DeliveryResult } from "./operations.js";
import type { Claim, DeliveryRecord, IntentRecord, Json, OutboxStore } from "./outbox-store.js";

export interface DeliveryContext {
  readonly store: OutboxStore;
  readonly operations: OperationTable;
  readonly rules: DeliveryRules;
  readonly clock: Clock;
  readonly random: () => number;
  readonly worker: string;
  /** Longest time one delivery may hold its call, all the runtime's own retries included. */
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
}

/** How a delivery ended, for the worker's counters and the caller's hook. */
export interface DeliveryReport {
  readonly id: string;
  readonly operation: string;
  readonly disposition: Disposition["kind"];
  /** False when the lease was lost before settling (another worker holds it now) or the store failed. */
  readonly settled: boolean;
  readonly status?: number;
  readonly errorKind?: string;
  readonly reason?: string;
}

export async function deliver(claim: Claim, context: DeliveryContext): Promise<DeliveryReport> {
  const { intent } = claim;
  const operation = Object.hasOwn(context.operations, intent.operation) ? context.operations[intent.operation] : undefined;
  const result: DeliveryResult =
    operation === undefined
      ? { error: { kind: "unknown-operation", message: `no operation named "${intent.operation}" is deliverable here` } }
      : await call(operation, intent.input, {
          idempotencyKey: intent.idempotencyKey,
          ...(mayRepeat(intent) ? { repeat: true } : {}),
          deadlineMs: context.deadlineMs,
          ...(context.signal ? { signal: context.signal } : {}),
        });
  const now = context.clock.now();
  const error = errorFields(result.error);
  const status = result.response?.status;
  const disposition: Disposition = dispositionOf({ ...(error ? { error } : {}), ...(status !== undefined ? { status } : {}), ...(result.meta ? { meta: result.meta } : {}) }, intent.deliveries, context.rules, now, context.random);
  const record: DeliveryRecord = {
    at: now,
    worker: context.worker,
    disposition: disposition.kind,
    ...(status !== undefined ? { status } : {}),
    ...(error ? { errorKind: error.kind } : {}),
    ...(disposition.kind === "deferred" ? { reason: disposition.reason } : disposition.kind === "dead" ? { reason: disposition.dead.reason } : {}),
    ...(result.meta ? { meta: jsonOf(result.meta) as Json } : {}),
    ...(disposition.kind === "deferred" && mayHaveApplied(result.meta) ? { mayHaveApplied: true as const } : {}),
  };
  let settled = false;
  try {
    if (disposition.kind === "committed") settled = await context.store.commit(claim, record, now);
    else if (disposition.kind === "deferred") settled = await context.store.defer(claim, disposition.notBefore, record, now);
    else settled = await context.store.bury(claim, disposition.dead, record, now);
  } catch {
    settled = false;
  }
  return {
    id: intent.id,
    operation: intent.operation,
    disposition: disposition.kind,
    settled,
    ...(status !== undefined ? { status } : {}),
    ...(error ? { errorKind: error.kind } : {}),
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
  };
}

/** The operation's result; an operation that throws (a hand-written one) counts as an unexpected failure, retried. */
async function call(operation: OperationTable[string], input: Json, options: CallOptions): Promise<DeliveryResult> {
  try {
    return await operation(input as never, options);
  } catch (thrown) {
    return { error: { kind: "unexpected", message: thrown instanceof Error ? thrown.message : String(thrown) } };
  }
}

/** The fields of a carewire error the disposition reads, whichever class it is. */
function errorFields(error: DeliveryResult["error"]): DeliveredError | undefined {
  if (error === undefined) return undefined;
  const fields = error as { status?: unknown; body?: unknown; retryAt?: unknown; replaySafe?: unknown };
  return {
    kind: error.kind,
    message: error.message,
    ...(typeof fields.status === "number" ? { status: fields.status } : {}),
    ...(fields.body !== undefined ? { body: fields.body } : {}),
    ...(typeof fields.retryAt === "number" ? { retryAt: fields.retryAt } : {}),
    ...(typeof fields.replaySafe === "boolean" ? { replaySafe: fields.replaySafe } : {}),
  };
}

/**
 * Whether an earlier delivery of this intent may have applied its write: one recorded as such
 * (no answer, a 5xx), or one whose worker died mid-call (more claims since the intent was last
 * buried, or added, than deliveries recorded). Then this delivery is a repeat, sent only where the
 * provider would not apply it twice. The history keeps only the last records, so a long one
 * may count as unrecorded: the safe side (a person looks) rather than a duplicate.
 */
export function mayRepeat(intent: Pick<IntentRecord, "deliveries" | "history">): boolean {
  let recorded = 0;
  for (let i = intent.history.length - 1; i >= 0 && intent.history[i]!.disposition !== "dead"; i--) {
    // A recorded delivery that may have applied the write (no answer, a 5xx) makes every later one a repeat too.
    if (intent.history[i]!.mayHaveApplied === true) return true;
    recorded++;
  }
  return intent.deliveries - 1 > recorded;
}

/**
 * Whether a delivery's write may have been applied although it failed: an attempt reached the
 * provider and got no answer (cut off, timed out, aborted by a stopping worker) or a 5xx other
 * than 503 (a gateway's 504 behind a server that committed).
 */
export function mayHaveApplied(meta: ResultMeta | undefined): boolean {
  return meta?.attempts.some((a) => a.outcome === "unknown-outcome" || a.errorKind === "aborted" || (a.status !== undefined && mayFollowCommit(a.status))) ?? false;
}
