/**
 * The outbox's durable state behind one small contract, so the embedded default (SQLite in
 * a file) and a fleet's PostgreSQL pass the same test suite. Every method takes the caller's
 * clock reading (`now`, epoch ms): workers on several hosts then agree on what is due, and
 * tests run on a fake clock against the real engines.
 *
 * An intent is live (pending, maybe leased) until a worker settles it: `commit` keeps a
 * short receipt (never the payload's answer body), `bury` moves it to the dead letters with
 * everything an operator needs to decide, `revive` brings dead letters back under the same
 * idempotency key, so a replay never writes twice.
 */

/** JSON as the store keeps it (the operation's input, error bodies, meta). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export interface NewIntent {
  /** Stable id (a UUID); the store refuses a second intent with the same idempotency key instead. */
  readonly id: string;
  /** The operation's name in the outbox's operation table (`createAppointment`, `Patient.ensure`). */
  readonly operation: string;
  /** The call's input, exactly as it will be sent (PHI: listed only when asked for). */
  readonly input: Json;
  /** Derived once at enqueue and sent on every delivery attempt, across crashes and hosts. */
  readonly idempotencyKey: string;
  readonly tenant?: string;
  /** Epoch ms before which no worker claims it. */
  readonly notBefore: number;
  /** The app's version that enqueued it (kept on dead letters). */
  readonly codeVersion?: string;
}

export type IntentStatus = "pending" | "committed" | "dead";

/** One delivery attempt as the worker saw it: the call's meta, with no bodies. */
export interface DeliveryRecord {
  readonly at: number;
  readonly worker: string;
  /** `committed`, `deferred` (tried again later) or `dead`. */
  readonly disposition: "committed" | "deferred" | "dead";
  readonly status?: number;
  readonly errorKind?: string;
  /** Why it was deferred or buried, in words (no PHI). */
  readonly reason?: string;
  /** The call's `meta` (provider, operation, attempts, rate limit, breaker, request ids). */
  readonly meta?: Json;
  /** A deferred delivery whose write may have been applied (no answer, a 5xx): the next one is a repeat. */
  readonly mayHaveApplied?: true;
}

/** Why an intent is dead, with the provider's own answer. */
export interface DeadReason {
  /**
   * `permanent` (the provider refused the request as it stands), `exhausted` (retries spent),
   * `contract` (its answer broke the contract), `unknown-operation`, `invalid-input`,
   * `unknown-outcome` (it may have landed, and a redelivery would apply it again: check, then
   * revive or discard it).
   */
  readonly reason: "permanent" | "exhausted" | "contract" | "unknown-operation" | "invalid-input" | "unknown-outcome";
  /** The typed error's stable `kind` and message. */
  readonly errorKind: string;
  readonly message: string;
  readonly status?: number;
  /** The provider's error body (may hold PHI: shown only when asked for). */
  readonly body?: Json;
}

export interface IntentRecord extends NewIntent {
  readonly status: IntentStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Delivery attempts begun (claims), including ones a crash cut short; counted again from 0 when it is revived. */
  readonly deliveries: number;
  /** The latest delivery records (the stores keep the last 100), oldest first; kept across a revive. */
  readonly history: readonly DeliveryRecord[];
  /** While a worker holds it: until when. */
  readonly leaseUntil?: number;
  /** While a worker holds it: that worker's id. */
  readonly leasedBy?: string;
  readonly dead?: DeadReason;
  /** When it was committed (status `committed`). */
  readonly committedAt?: number;
}

/** An intent in a listing: everything but the payload and error body, unless they were asked for. */
export type IntentSummary = Omit<IntentRecord, "input" | "dead"> & { readonly input?: Json; readonly dead?: DeadReason };

/** A claim: the intent and the lease that fences every later write about it. */
export interface Claim {
  readonly intent: IntentRecord;
  /**
   * Settling with a lease that has expired and been claimed again is refused (returns false).
   * A lease that ran out but that no one claimed again still settles: no other worker holds it.
   */
  readonly lease: string;
}

export interface OutboxCounts {
  readonly pending: number;
  /** Pending and claimable now (not before `notBefore`, no live lease). */
  readonly due: number;
  readonly leased: number;
  readonly committed: number;
  readonly dead: number;
  /** `createdAt` of the oldest pending intent. */
  readonly oldestPendingAt?: number;
}

export interface ListFilter {
  readonly status?: IntentStatus;
  /** Only intents updated at or after this epoch ms. */
  readonly since?: number;
  readonly tenant?: string;
  /** Default 100, at most 10,000. */
  readonly limit?: number;
  /** Include `input` and the dead letter's `body` (PHI). Default false. */
  readonly withBodies?: boolean;
}

export interface OutboxStore {
  /** `sqlite`, `postgres`, … (reports and bench rows). */
  readonly backend: string;
  /**
   * Records intents durably (committed to disk before the promise resolves). An intent
   * whose idempotency key is already recorded is not added again: its existing id comes back
   * with `added: false`.
   */
  add(intents: readonly NewIntent[], now: number): Promise<ReadonlyArray<{ readonly id: string; readonly added: boolean }>>;
  /**
   * Leases up to `limit` due intents (oldest `notBefore` first) to `worker` for `leaseMs`; each
   * claim counts a delivery. A worker id is 1 to 200 characters without `/`.
   */
  claim(worker: string, limit: number, leaseMs: number, now: number): Promise<readonly Claim[]>;
  /**
   * Ends every lease `worker` holds and makes those intents due now; returns how many. A worker
   * that starts under the id of one that crashed (the same pod or service instance, restarted)
   * takes back what that one was delivering at once instead of waiting for its leases to end.
   * Settles under the ended leases are refused.
   */
  release(worker: string, now: number): Promise<number>;
  /** Extends a lease still held; false when it was lost. */
  renew(claim: Claim, leaseMs: number, now: number): Promise<boolean>;
  /** Settles as committed. False (and nothing written) when the lease was lost. */
  commit(claim: Claim, record: DeliveryRecord, now: number): Promise<boolean>;
  /** Releases for another delivery at `notBefore`. False when the lease was lost. */
  defer(claim: Claim, notBefore: number, record: DeliveryRecord, now: number): Promise<boolean>;
  /** Moves to the dead letters. False when the lease was lost. */
  bury(claim: Claim, dead: DeadReason, record: DeliveryRecord, now: number): Promise<boolean>;
  counts(now: number): Promise<OutboxCounts>;
  /** Oldest `updatedAt` first (then by id), so `since` pages forward through changes. */
  list(filter: ListFilter): Promise<readonly IntentSummary[]>;
  /** Full records (with bodies) by id; unknown ids are left out. */
  get(ids: readonly string[]): Promise<readonly IntentRecord[]>;
  /** Dead letters back to pending, due at `now`, same idempotency key: by id, or every one buried since a time. Returns how many. */
  revive(which: { readonly ids: readonly string[] } | { readonly deadSince: number }, now: number): Promise<number>;
  /** Deletes committed intents (and, with `dead`, dead letters) last updated before `before`. Returns how many. */
  purge(options: { readonly before: number; readonly dead?: boolean }): Promise<number>;
  close(): Promise<void>;
}
