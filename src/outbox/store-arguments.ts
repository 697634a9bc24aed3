/**
 * The checks every outbox store makes on what a caller passes (times, worker ids, sizes,
 * ids, a status), and the bounds on what one call may read. Each check returns the value it
 * accepted or throws an OutboxInputError, so a store never writes what it was not meant to.
 */
import { OutboxInputError } from "./errors.js";

/** A listing (and a claim) reads at most this many intents: one call never loads a whole table. */
export const MAX_LIST = 10_000;
export const DEFAULT_LIST = 100;
/** `get` and `revive` by ids take at most this many ids per call. */
export const MAX_IDS = 10_000;

/** A clock reading or a due time: epoch ms, a finite integer. */
export function checkTime(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new OutboxInputError(`${what} must be epoch milliseconds (a non-negative integer)`);
  return value;
}

/** A worker id as leases carry it: `<worker>/<random>`, so one worker's leases are found by prefix. */
export function checkWorker(worker: unknown): string {
  if (typeof worker !== "string" || worker.length === 0 || worker.length > 200 || worker.includes("/")) throw new OutboxInputError("a worker id is 1 to 200 characters without '/'");
  return worker;
}

/** The worker a lease belongs to. */
export function leaseOwner(lease: string): string {
  return lease.slice(0, lease.lastIndexOf("/"));
}

/** A positive duration or count. */
export function checkPositive(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) throw new OutboxInputError(`${what} must be a positive integer`);
  return value;
}

/** A listing's or a claim's size: positive, and never more than MAX_LIST. */
export function checkLimit(value: unknown, what: string, fallback = DEFAULT_LIST): number {
  if (value === undefined) return fallback;
  return Math.min(checkPositive(value, what), MAX_LIST);
}

export function checkIds(ids: unknown): readonly string[] {
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) throw new OutboxInputError("ids must be an array of strings");
  if (ids.length > MAX_IDS) throw new OutboxInputError(`at most ${MAX_IDS} ids per call`);
  return ids as string[];
}

export function checkStatus(status: unknown): void {
  if (status !== undefined && status !== "pending" && status !== "committed" && status !== "dead") throw new OutboxInputError("status must be pending, committed or dead");
}
