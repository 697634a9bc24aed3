/** What the simulator saw: a bounded request log and counters, for tests and the admin endpoint. */
import type { FaultKind } from "./faults.js";

export interface LogEntry {
  readonly time: string;
  readonly clientId: string | null;
  readonly operationId: string | null;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly idempotencyKey: string | null;
  readonly fault: FaultKind | null;
  readonly replayed: boolean;
  readonly durationMs: number;
}

export interface Counters {
  requests: number;
  /** Requests answered 2xx/3xx (replays included). */
  accepted: number;
  /** 429s from the rate limiter (and the concurrency limit). */
  rateLimited: number;
  /** Requests that got an injected fault. */
  faults: number;
  /** Writes the handler executed (unsafe or idempotent methods, 2xx): the server-side effects. */
  writesCommitted: number;
  /** Committed writes that repeat an earlier committed write of the same client (same method, path, body). */
  duplicates: number;
  /** Responses replayed from an Idempotency-Key. */
  idempotentReplays: number;
  byStatus: Record<string, number>;
}

const MAX_LOG = 10_000;

export class Recorder {
  log: LogEntry[] = [];
  counters: Counters = Recorder.zero();
  private readonly committed = new Set<string>();

  static zero(): Counters {
    return { requests: 0, accepted: 0, rateLimited: 0, faults: 0, writesCommitted: 0, duplicates: 0, idempotentReplays: 0, byStatus: {} };
  }

  record(entry: LogEntry): void {
    const c = this.counters;
    c.requests++;
    if (entry.status !== null) {
      c.byStatus[entry.status] = (c.byStatus[entry.status] ?? 0) + 1;
      if (entry.status < 400) c.accepted++;
    }
    if (entry.fault !== null && entry.fault !== "none") c.faults++;
    if (entry.replayed) c.idempotentReplays++;
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }

  rateLimited(): void {
    this.counters.rateLimited++;
  }

  /** Called when a write commits; `fingerprint` identifies the logical write. */
  commit(fingerprint: string): void {
    this.counters.writesCommitted++;
    if (this.committed.has(fingerprint)) this.counters.duplicates++;
    else this.committed.add(fingerprint);
  }

  reset(): void {
    this.log = [];
    this.counters = Recorder.zero();
    this.committed.clear();
  }
}
