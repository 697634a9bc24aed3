/**
 * The webhook inbox: what every instance of a receiving app must share to take each event
 * once. `accept` records an event by its id if it is absent, atomically (a duplicate
 * delivery, on any instance, finds it there); workers then lease fresh events, and settle
 * each as handled, for a retry later, or dead. Pending events live in the store, so they
 * survive a restart; handled ids stay for a retention window (a late duplicate still finds
 * them) and are then purged. A handled event keeps no body: only what dedupe needs.
 *
 * Every method takes the caller's clock reading (`now`, epoch ms), as the outbox stores do:
 * instances agree on what is due and tests run on a fake clock against real engines.
 */
import { WebhookInboxError } from "./errors.js";

export interface InboxEntry {
  /** The sender's event id (the dedupe key), 1 to 256 visible ASCII characters. */
  readonly id: string;
  readonly type?: string;
  /** The sender's timestamp, unix seconds. */
  readonly timestamp?: number;
  /** The body as received (PHI: never logged). */
  readonly raw: string;
}

export type InboxStatus = "pending" | "handled" | "dead";

export interface InboxRecord extends InboxEntry {
  readonly status: InboxStatus;
  /** When it was accepted, epoch ms. */
  readonly receivedAt: number;
  readonly updatedAt: number;
  /** Hand-offs begun (leases taken), including ones a crash cut short. */
  readonly attempts: number;
  /** Not handed out before this time (a retry's backoff). */
  readonly notBefore: number;
  /** The last failure's kind and message, in words the app chose (no payloads). */
  readonly lastError?: string;
}

export interface InboxClaim {
  readonly record: InboxRecord;
  /** Fences every settle: a lease taken over by another worker settles nothing. */
  readonly lease: string;
}

export type Settlement =
  | { readonly status: "handled" }
  | { readonly status: "retry"; readonly notBefore: number; readonly error: string }
  | { readonly status: "dead"; readonly error: string };

export interface InboxCounts {
  readonly pending: number;
  readonly handled: number;
  readonly dead: number;
}

export interface WebhookInbox {
  /** `memory`, `sqlite`, `postgres`, `redis`. */
  readonly backend: string;
  /** True when accepted events may become outbox intents (then an app may do without `onEvent`). */
  readonly outboxIntake?: boolean;
  /** Records the event unless its id is already recorded (in any status). True when it was new; durable before it resolves. */
  accept(entry: InboxEntry, now: number): Promise<boolean>;
  /** Leases up to `limit` pending events due at `now` (oldest first), each counting an attempt. */
  claim(worker: string, limit: number, leaseMs: number, now: number): Promise<readonly InboxClaim[]>;
  /**
   * Keeps a lease while its event is still being handled: its end moves to `now + leaseMs`.
   * With 0 the lease ends now, and any instance may claim the event (a claim given back unstarted).
   * False (nothing written) when the lease was lost: another worker took the event, or it was settled.
   */
  extend(claim: InboxClaim, leaseMs: number, now: number): Promise<boolean>;
  /**
   * Hands back a claim whose event was never started here (it came in as this instance began
   * to stop): the lease is gone (it settles nothing), any instance may claim the event now, and
   * the claim's attempt no longer counts, so repeated stops never push an event toward its
   * dead letter. False when the lease was lost. (Optional for an inbox of your own: without it the lease is
   * ended with `extend(claim, 0, now)` and the attempt stays counted.)
   */
  giveBack?(claim: InboxClaim, now: number): Promise<boolean>;
  /** Ends every lease `worker` holds (a graceful stop that could not finish); returns how many. */
  release(worker: string, now: number): Promise<number>;
  /** False (nothing written) when the lease was lost. */
  settle(claim: InboxClaim, settlement: Settlement, now: number): Promise<boolean>;
  /** Dead events back to pending, due now, attempts from 0. Returns how many. */
  revive(ids: readonly string[], now: number): Promise<number>;
  /** Bodies are left out of handled events (they keep none). */
  list(filter: { readonly status: InboxStatus; readonly limit?: number }): Promise<readonly InboxRecord[]>;
  counts(): Promise<InboxCounts>;
  /** Forgets handled events last updated before `before`; returns how many. */
  purge(before: number): Promise<number>;
  close(): Promise<void>;
}

export const MAX_LIST = 10_000;
const ID = /^[\x21-\x7e]{1,256}$/;

/** An event id every store takes: 1 to 256 visible ASCII characters. */
export function isEventId(id: unknown): id is string {
  return typeof id === "string" && ID.test(id);
}
const WORKER = /^[^/]{1,200}$/;

/** The checks every store makes on what it is given, so they all refuse the same things. */
export function checkEntry(entry: InboxEntry): InboxEntry {
  if (!isEventId(entry?.id)) throw new WebhookInboxError("an inbox event id is 1 to 256 visible ASCII characters");
  if (typeof entry.raw !== "string") throw new WebhookInboxError("an inbox event needs its raw body");
  if (entry.type !== undefined && typeof entry.type !== "string") throw new WebhookInboxError("an inbox event type is a string");
  if (entry.timestamp !== undefined && !Number.isFinite(entry.timestamp)) throw new WebhookInboxError("an inbox event timestamp is unix seconds");
  return entry;
}

export function checkWorker(worker: string): string {
  if (typeof worker !== "string" || !WORKER.test(worker)) throw new WebhookInboxError("a worker id is 1 to 200 characters without /");
  return worker;
}

export function checkLimit(limit: number | undefined, fallback = 100): number {
  const n = limit ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIST) throw new WebhookInboxError(`a limit is an integer from 1 to ${MAX_LIST}`);
  return n;
}

export function checkTime(value: number, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new WebhookInboxError(`${what} must be epoch milliseconds`);
  return Math.round(value);
}

/** A fresh lease id that names its worker (release finds a worker's leases by it). */
export function leaseFor(worker: string): string {
  return `${worker}/${globalThis.crypto.randomUUID()}`;
}

/** The error text kept with an event, bounded. */
export function errorText(error: string): string {
  return String(error).slice(0, 500);
}

/** Runs one store call with every engine failure as WebhookInboxError (its cause kept; no event data in the message). */
export async function storeCall<T>(backend: string, action: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof WebhookInboxError) throw error;
    throw new WebhookInboxError(`the ${backend} webhook inbox could not ${action}`, { cause: error });
  }
}
