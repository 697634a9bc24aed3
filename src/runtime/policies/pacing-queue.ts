/**
 * The waiting room of pacing: calls queue here for a slot, best lane first, and are let
 * through as the quota store grants their sends and the concurrency cap allows. One pump
 * per client asks the store for the head of the queue; when the answer is "not yet", it
 * sleeps until the named time (or until something changes: a new call, an abort). Every
 * wait ends by the call's deadline or the longest wait the client accepts.
 */
import { startTimer, type Clock } from "../core/clock.js";
import { AbortedError, RateLimitedError, UnexpectedError } from "../core/errors.js";
import type { AcquireAnswer, QuotaDemand, QuotaStore, TenantShare } from "../stores/quota-store.js";
import { sameDemands, type Lane } from "./pacing-quota.js";
import { quietly } from "../stores/fallback.js";
import { SignalWatch } from "./signal-watch.js";
import { isThenable } from "../portable/thenable.js";
import { bookingHorizon, bookingLead, byLaneThenArrival } from "./pacing-booking.js";

/** A send admitted: its id in the store, and whether a shared store's local fallback admitted it. */
export interface Admission {
  readonly id: string;
  readonly local: boolean;
}

interface Waiter {
  readonly lane: Lane;
  readonly seq: number;
  readonly id: string;
  readonly demands: readonly QuotaDemand[];
  readonly tenant: TenantShare | undefined;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
  /** Settle through `admit` / `refuse`. */
  readonly resolve: (admission: Admission) => void;
  readonly reject: (error: Error) => void;
  /** Ends a wait behind the concurrency cap at the call's deadline (set once the waiter meets the cap). */
  cancelBound?: () => void;
}

type Asked = Omit<Waiter, "resolve" | "reject" | "cancelBound">; // what a call asks for, before it waits

export interface SlotQueueSettings {
  readonly store: QuotaStore;
  readonly key: string;
  readonly clock: Clock;
  readonly maxConcurrent: number;
  readonly maxWaitMs: number;
}

export interface SlotQueue {
  /** Waits for a slot (the store granted the send, the concurrency cap has room); no Promise when granted on the spot. */
  acquire(lane: Lane, demands: readonly QuotaDemand[], deadline: number | undefined, signal: AbortSignal | undefined, tenant?: TenantShare): Admission | Promise<Admission>;
  /** A send is done: its concurrency slot goes to the next waiter. */
  release(): void;
}

export function slotQueue(settings: SlotQueueSettings): SlotQueue {
  const { store, key, clock, maxConcurrent, maxWaitMs } = settings;
  // Send ids unique across the fleet: this instance's random part and a counter.
  const instance = Math.random().toString(36).slice(2, 10);
  const queue: Waiter[] = [];
  let inFlight = 0;
  let seq = 0;
  let pumping = false;
  /** Interrupts the pump's sleep when something changed (a new call, an abort). */
  let wake = new AbortController();
  const wakeUp = () => wake.abort();

  /** Hands slots to waiters, best lane first, as the window and the concurrency cap allow. */
  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0) {
        dropAborted();
        if (queue.length === 0) break;
        if (inFlight >= maxConcurrent) {
          // A release will pump again; until then each waiter's own deadline still holds.
          for (const w of queue) w.cancelBound ??= boundWait(w);
          return;
        }
        if (queue.length > 1) queue.sort(byLaneThenArrival);
        const head = queue[0]!;
        const now = clock.now();
        const lead = bookingLead(head.demands);
        let answer: AcquireAnswer & { local?: true };
        try {
          // A booking is made shortly before its slot (a call more urgent than the head may
          // still come), and never past the head's deadline or the longest wait.
          const bookUntil = Math.min(head.deadline === undefined ? Infinity : head.deadline - 1, now + maxWaitMs, now + bookingHorizon(store, head.demands, lead));
          const pending = store.acquire({ key, id: head.id, now, demands: head.demands, bookUntil, waiting: waitingLike(head), ...(head.tenant ? { tenant: head.tenant } : {}) });
          // The memory store answers at once: no promise to wait for on the common path.
          answer = isThenable(pending) ? await pending : pending;
        } catch (error) {
          // A store without a fallback failed: this call ends typed; the queue goes on.
          const at = queue.indexOf(head);
          if (at >= 0) {
            queue.splice(at, 1);
            refuse(head, new UnexpectedError("the quota store failed to answer", { cause: error }));
          }
          continue;
        }
        if (!answer.granted) {
          const free = answer.retryAt;
          const waitMs = free - clock.now();
          if (free === Infinity) {
            // It costs more than the whole quota: no wait makes it fit.
            queue.shift();
            refuse(head, new RateLimitedError(free, "the call costs more than the provider's whole quota"));
            continue;
          }
          // Fail now rather than wait past the call's deadline or the longest acceptable wait.
          const expired = queue.filter((w) => (w.deadline !== undefined && free >= w.deadline) || waitMs > maxWaitMs);
          for (const w of expired) {
            queue.splice(queue.indexOf(w), 1);
            refuse(w, new RateLimitedError(free, waitMs > maxWaitMs ? `a slot frees in ${Math.ceil(waitMs / 1000)} s, more than this client waits` : "no slot before the call's deadline"));
          }
          if (expired.length > 0) continue;
          if (waitMs <= 0) continue;
          // Back a little before the slot frees, to book it; within that lead already (the
          // slot waits on a send in flight), at the time itself.
          const sleepMs = waitMs > lead ? waitMs - lead : waitMs;
          if (wake.signal.aborted) wake = new AbortController();
          try {
            await clock.sleep(sleepMs, wake.signal);
          } catch {
            // woken early: look at the queue again
          }
          continue;
        }
        // A send taken from a lease is recorded under the lease's id.
        const id = answer.id ?? head.id;
        // The head may have left while a shared store answered (aborted, timed out).
        const at = queue.indexOf(head);
        if (at < 0) {
          if (head.demands.length > 0) await quietly(() => store.cancel(key, id, head.demands));
          continue;
        }
        queue.splice(at, 1);
        inFlight++;
        const admission = { id, local: answer.local === true };
        // Booked for later: the pump holds it until then (one booking at a time, so a
        // critical call queued meanwhile still gets the next slot).
        if (answer.at > clock.now()) await holdUntil(head, answer.at, admission);
        else admit(head, admission);
      }
    } finally {
      pumping = false;
    }
  }

  /** Calls queued behind the head that ask the same of the same quotas (a leasing store takes them in one trip). */
  function waitingLike(head: Waiter): number {
    let n = 0;
    for (let i = 1; i < queue.length && n < maxConcurrent - inFlight - 1; i++) if (sameDemands(queue[i]!.demands, head.demands)) n++;
    return n;
  }

  /** Sleeps until a booked send's time, still dropping aborted waiters; a booked call that aborts gives its slot back. */
  async function holdUntil(w: Waiter, at: number, admission: Admission): Promise<void> {
    while (clock.now() < at) {
      if (wake.signal.aborted) wake = new AbortController();
      try {
        await clock.sleep(at - clock.now(), wake.signal);
      } catch {
        // woken early: an abort somewhere
      }
      dropAborted();
      if (w.signal?.aborted) {
        inFlight = Math.max(0, inFlight - 1);
        if (w.demands.length > 0) await quietly(() => store.cancel(key, admission.id, w.demands));
        refuse(w, new AbortedError(w.signal.reason));
        return;
      }
    }
    admit(w, admission);
  }

  /** Aborted calls leave at once, wherever they are in the queue. */
  function dropAborted(): void {
    for (let i = queue.length - 1; i >= 0; i--) {
      const w = queue[i]!;
      if (!w.signal?.aborted) continue;
      queue.splice(i, 1);
      refuse(w, new AbortedError(w.signal.reason));
    }
  }

  // One abort listener per caller signal, however many of its calls wait (see SignalWatch).
  const signals = new SignalWatch(() => (pumping ? wakeUp() : void pump()));

  /** A waiter leaves the queue: its signal no longer needs watching, nor its deadline. */
  function leaving(w: Waiter): Waiter {
    if (w.signal) signals.unwatch(w.signal);
    w.cancelBound?.();
    return w;
  }
  const admit = (w: Waiter, admission: Admission): void => leaving(w).resolve(admission);
  const refuse = (w: Waiter, error: Error): void => leaving(w).reject(error);

  /** A timer on the clock that refuses `w` if it is still queued when its deadline or the longest wait comes. */
  function boundWait(w: Waiter): () => void {
    const now = clock.now();
    const limitMs = Math.min(maxWaitMs, w.deadline === undefined ? Infinity : Math.max(0, w.deadline - now));
    if (!Number.isFinite(limitMs)) return () => undefined;
    return startTimer(clock, limitMs, () => {
      const i = queue.indexOf(w);
      if (i < 0) return;
      queue.splice(i, 1);
      refuse(w, new RateLimitedError(clock.now(), w.deadline !== undefined && clock.now() >= w.deadline ? "no slot before the call's deadline" : "no slot within the longest wait this client accepts"));
    });
  }

  function acquire(lane: Lane, demands: readonly QuotaDemand[], deadline: number | undefined, signal: AbortSignal | undefined, tenant?: TenantShare): Admission | Promise<Admission> {
    if (signal?.aborted) return Promise.reject(new AbortedError(signal.reason));
    const n = seq++;
    const waiting: Asked = { lane, seq: n, id: `${instance}-${n}`, demands, tenant, deadline, signal };
    if (!onTheSpot(tenant)) return enqueue(waiting);
    // What the pump would ask first, for no later than now (an answer other than "go" records nothing).
    const now = clock.now();
    const answer = store.acquire({ key, id: waiting.id, now, demands, bookUntil: now, waiting: 0 });
    // A store that said it answers at once and did not: its answer is still the answer.
    return isThenable(answer) ? Promise.resolve(answer).then((late) => admitOrQueue(late, waiting)) : admitOrQueue(answer, waiting);
  }

  /** A call the store granted goes now; one it did not waits in the queue like any other. */
  function admitOrQueue(answer: AcquireAnswer & { local?: true }, waiting: Asked): Admission | Promise<Admission> {
    if (!answer.granted) return enqueue(waiting);
    inFlight++;
    return { id: answer.id ?? waiting.id, local: answer.local === true };
  }
  const enqueue = (waiting: Asked): Promise<Admission> =>
    new Promise<Admission>((resolve, reject) => {
      queue.push({ ...waiting, resolve, reject });
      if (waiting.signal) signals.watch(waiting.signal);
      if (pumping) wakeUp();
      else void pump();
    });

  /** Nobody waits or is served, a slot is free, the store answers at once; a tenant's call queues (its fair share is counted per answer). */
  function onTheSpot(tenant: TenantShare | undefined): boolean {
    return store.answersAtOnce === true && tenant === undefined && queue.length === 0 && !pumping && inFlight < maxConcurrent;
  }

  function release(): void {
    inFlight = Math.max(0, inFlight - 1);
    // Nobody waiting: nothing to hand the slot to.
    if (queue.length > 0) void pump();
  }

  return { acquire, release };
}
