/**
 * A worker drains an outbox: it claims due intents under a lease, delivers up to
 * `concurrency` at once, and settles each. Several workers, in one process or on many hosts,
 * share one store: a claim is exclusive until its lease ends, and a worker that dies just
 * lets its leases run out; whoever claims the intent next sends the same idempotency key.
 *
 * A live worker renews the leases of what it is delivering every third of a lease, so a
 * delivery may take as long as its deadline allows while a crashed worker's intents come
 * back within one (short) lease.
 */
import { randomId } from "../runtime/portable/random-id.js";
import type { Clock } from "../runtime/core/clock.js";
import { startHeartbeat, type Heartbeat } from "../runtime/core/heartbeat.js";
import type { OutboxEvent } from "../runtime/core/telemetry.js";
import { deliver, type DeliveryReport } from "./deliver.js";
import type { DeliveryRules } from "./disposition.js";
import { OutboxInputError } from "./errors.js";
import type { OperationTable } from "./operations.js";
import type { Claim, OutboxStore } from "./outbox-store.js";
import { checkPositive, checkWorker } from "./store-arguments.js";

export interface WorkerOptions {
  /** Deliveries in flight at once. Default 4. */
  readonly concurrency?: number;
  /** How long a claim stays exclusive without renewal: what a crash costs the intents in flight. Renewed every third of it. Default 30 s. */
  readonly leaseMs?: number;
  /** Longest a delivery holds its call (every retry and wait in it); a longer wait the provider names is spent in the store. Default 30 s. */
  readonly deliveryDeadlineMs?: number;
  /** Wait between looks at the store when nothing is due. Default 1 s. */
  readonly pollMs?: number;
  /**
   * Names this worker in leases and delivery history. Default `worker-<random>`. Give each live
   * worker its own id, and the same id again when it restarts (a pod or service instance name):
   * a restarted worker then takes back at once what its crashed predecessor was delivering,
   * instead of waiting for those leases to end.
   */
  readonly id?: string;
  /** Called after each delivery (metrics, logs). Never given payloads. */
  readonly onDelivery?: (report: DeliveryReport) => void;
  /**
   * Gets an `outbox` event (queue depth, dead letters) after each delivery, read from the
   * store then: for `recordEvents` and an operator's report. Never given payloads.
   */
  readonly onEvent?: (event: OutboxEvent) => void;
  /** Called when the store cannot be read; the worker waits a poll interval and tries again. */
  readonly onStoreError?: (error: unknown) => void;
}

export interface WorkerStats {
  readonly committed: number;
  readonly deferred: number;
  readonly dead: number;
  /** Settles refused because the lease had ended (another worker delivers it now). */
  readonly lost: number;
  readonly inFlight: number;
}

export interface OutboxWorker {
  readonly id: string;
  /** Starts claiming and delivering until `stop`. */
  start(): void;
  /** Stops claiming; waits for deliveries in flight up to `graceMs` (default the delivery deadline), then aborts them (they are deferred, not lost). */
  stop(options?: { readonly graceMs?: number }): Promise<void>;
  /** Claims and delivers everything due now, until nothing due is left; resolves with what it did. For one-shot jobs and tests. */
  drainDue(): Promise<WorkerStats>;
  readonly stats: WorkerStats;
}

export interface WorkerDeps {
  readonly store: OutboxStore;
  readonly operations: OperationTable;
  readonly rules: DeliveryRules;
  readonly clock: Clock;
  readonly random: () => number;
}

const DEFAULTS = { concurrency: 4, leaseMs: 30_000, deliveryDeadlineMs: 30_000, pollMs: 1_000 };
/** Below this a lease could end between two renewals on a busy machine. */
const MIN_LEASE_MS = 1_000;

export function createWorker(deps: WorkerDeps, options: WorkerOptions = {}): OutboxWorker {
  const concurrency = checkPositive(options.concurrency ?? DEFAULTS.concurrency, "concurrency");
  const leaseMs = checkPositive(options.leaseMs ?? DEFAULTS.leaseMs, "leaseMs");
  const deadlineMs = checkPositive(options.deliveryDeadlineMs ?? DEFAULTS.deliveryDeadlineMs, "deliveryDeadlineMs");
  const pollMs = checkPositive(options.pollMs ?? DEFAULTS.pollMs, "pollMs");
  if (leaseMs < MIN_LEASE_MS) throw new OutboxInputError(`leaseMs must be at least ${MIN_LEASE_MS} (got ${leaseMs}): it is renewed every third of it`);
  const id = checkWorker(options.id ?? `worker-${randomId().slice(0, 8)}`);
  const stats = { committed: 0, deferred: 0, dead: 0, lost: 0 };
  /** Deliveries in flight and the claim each holds. */
  const inFlight = new Map<Promise<void>, Claim>();
  /** Renews the leases in flight; stopped when nothing is in flight. */
  let heartbeat: Heartbeat | undefined;
  let running: Promise<void> | undefined;
  let stopping: AbortController | undefined;
  /** One per delivery in flight (a shared signal would collect every call's listeners): aborted when a stop's grace runs out. */
  const calls = new Set<AbortController>();
  /** Wakes the loop when a delivery ends (a slot is free) or the worker stops. */
  let wake: () => void = () => {};

  function deliverOne(claim: Claim): Promise<DeliveryReport> {
    const call = new AbortController();
    calls.add(call);
    return deliver(claim, { ...deps, worker: id, deadlineMs, signal: call.signal }).finally(() => calls.delete(call));
  }

  /** Renews every lease in flight each third of a lease, while anything is in flight. */
  function beat(): void {
    heartbeat ??= startHeartbeat(deps.clock, Math.floor(leaseMs / 3), () => {
      const now = deps.clock.now();
      // A renewal refused means another worker holds the intent now: settling will say so.
      return Promise.all([...inFlight.values()].map((claim) => deps.store.renew(claim, leaseMs, now).catch(() => false)));
    });
  }

  function track(work: Promise<DeliveryReport>, claim: Claim): void {
    const done = work.then((report) => {
      if (!report.settled) stats.lost++;
      else stats[report.disposition]++;
      // An app's hook that throws must not stop the worker or leave a rejection unhandled.
      try {
        options.onDelivery?.(report);
      } catch {
        /* the delivery itself is settled; the hook's failure is the app's */
      }
      if (options.onEvent) void reportDepth(options.onEvent, report.settled ? report.disposition : "lost");
    });
    const tracked = done.finally(() => {
      inFlight.delete(tracked);
      if (inFlight.size === 0) {
        heartbeat?.stop();
        heartbeat = undefined;
      }
      wake();
    });
    inFlight.set(tracked, claim);
    beat();
  }

  let countingDepth = false;
  /** The store's counts after a delivery, as an event; a store that cannot answer sends none. */
  async function reportDepth(onEvent: (event: OutboxEvent) => void, disposition: OutboxEvent["disposition"]): Promise<void> {
    // One count in flight at a time: on PostgreSQL it scans the table, and deliveries
    // finishing together must not each take a pooled connection for it.
    if (countingDepth) return;
    countingDepth = true;
    try {
      const time = deps.clock.now();
      const { pending, due, leased, dead } = await deps.store.counts(time);
      onEvent({ type: "outbox", worker: id, disposition, pending, due, leased, dead, time });
    } catch {
      // Telemetry never stops the worker.
    } finally {
      countingDepth = false;
    }
  }

  /** Claims for the free slots; how many it got (undefined when the store failed). */
  async function claimFree(): Promise<number | undefined> {
    const free = concurrency - inFlight.size;
    if (free <= 0) return 0;
    try {
      const claims = await deps.store.claim(id, free, leaseMs, deps.clock.now());
      for (const claim of claims) track(deliverOne(claim), claim);
      return claims.length;
    } catch (error) {
      options.onStoreError?.(error);
      return undefined;
    }
  }

  async function loop(stop: AbortSignal): Promise<void> {
    // Whatever a crashed worker of this id held is due again now; nothing of ours is in flight yet.
    try {
      await deps.store.release(id, deps.clock.now());
    } catch (error) {
      options.onStoreError?.(error);
    }
    while (!stop.aborted) {
      const got = await claimFree();
      if (got !== undefined && got > 0 && inFlight.size < concurrency) continue;
      // Nothing due (or no free slot): wait for a slot, the poll interval, or the stop.
      const slot = new Promise<void>((resolve) => (wake = resolve));
      const full = inFlight.size >= concurrency;
      await Promise.race([slot, ...(full ? [] : [deps.clock.sleep(pollMs, stop).catch(() => undefined)])]);
    }
  }

  return {
    id,
    get stats() {
      return { ...stats, inFlight: inFlight.size };
    },
    start() {
      if (running) return;
      stopping = new AbortController();
      running = loop(stopping.signal);
    },
    async stop({ graceMs = deadlineMs } = {}) {
      if (!running || !stopping) return;
      stopping.abort();
      wake();
      await running;
      running = undefined;
      if (inFlight.size > 0) {
        const graceOver = new AbortController();
        const grace = deps.clock.sleep(graceMs, graceOver.signal).catch(() => undefined);
        await Promise.race([Promise.all(inFlight.keys()), grace]);
        graceOver.abort();
        for (const call of calls) call.abort();
        await Promise.all(inFlight.keys());
      }
    },
    async drainDue() {
      const before = { ...stats };
      for (;;) {
        const got = await claimFree();
        if (got === undefined || (got === 0 && inFlight.size === 0)) break;
        if (got > 0 && inFlight.size < concurrency) continue;
        // Checked and armed in one step: a delivery that ends after this wakes the loop.
        if (inFlight.size > 0) await new Promise<void>((resolve) => (wake = resolve));
      }
      return { committed: stats.committed - before.committed, deferred: stats.deferred - before.deferred, dead: stats.dead - before.dead, lost: stats.lost - before.lost, inFlight: inFlight.size };
    },
  };
}
