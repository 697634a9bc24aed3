/**
 * Client-side pacing: keep under the provider's quota
 * before it says 429. A sliding window per provider + client_id, from the spec's
 * `x-carewire-rate-limit` or config, corrected by RateLimit / X-RateLimit-* headers; on
 * a 429 every queued call holds until the server's retry time; a concurrency cap; and
 * priority lanes, so interactive calls go ahead of batch work waiting for the same slots.
 *
 * The window state sits behind `PacingStore` (in-memory here) so that several instances
 * sharing one client_id can share one budget.
 */
import { noted, refusal, type AttemptResult, type Policy } from "../core/attempt.js";
import { startTimer, type Clock } from "../core/clock.js";
import { AbortedError, CarewireError, RateLimitedError } from "../core/errors.js";
import type { Call } from "../core/call.js";
import type { RateLimitState } from "../core/meta.js";
import { MemoryPacingStore, type PacingStore } from "../stores/pacing-store.js";
import { SignalWatch } from "./signal-watch.js";

export interface PacingOptions {
  /**
   * Overrides the spec's quota. `Infinity` turns client-side quota pacing off (for a
   * sandbox without limits); the concurrency cap and the server's 429 pauses still apply.
   */
  readonly limit?: number;
  readonly windowMs?: number;
  /** Calls in flight at once for this client. Default 16. */
  readonly maxConcurrent?: number;
  /**
   * Spacing added to the window so a send timed at the edge does not reach the server
   * inside it. Travel time is already covered (a slot counts from when its response
   * arrived), so this covers timers and clock rates. Default 0.5 % of the window + 10 ms.
   */
  readonly safetyMarginMs?: number;
  /** Longest wait a call accepts for a slot before failing with RateLimitedError. Default 120 s. */
  readonly maxWaitMs?: number;
  readonly store?: PacingStore;
}

export type Lane = "critical" | "interactive" | "batch";
const LANE_ORDER: Record<Lane, number> = { critical: 0, interactive: 1, batch: 2 };

interface Waiter {
  readonly lane: Lane;
  readonly seq: number;
  readonly limit: number;
  readonly windowMs: number;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
  /** Called with the send time recorded in the window (undefined when no quota applies). Settle through `admit` / `refuse`. */
  readonly resolve: (sentAt: number | undefined) => void;
  readonly reject: (error: Error) => void;
  /** Ends a wait behind the concurrency cap at the call's deadline (set once the waiter meets the cap). */
  cancelBound?: () => void;
}

export type PacingPolicy = Policy & {
  /** Runs a request outside a call in a slot (the token endpoint counts against the same quota). */
  paced<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
};

export function pacingPolicy(provider: string, options: PacingOptions, clock: Clock, clientId = "default"): PacingPolicy {
  const store = options.store ?? new MemoryPacingStore();
  const key = `${provider}\u0000${clientId}`;
  const maxConcurrent = Math.max(1, options.maxConcurrent ?? 16);
  const maxWaitMs = options.maxWaitMs ?? 120_000;
  /** What the server's headers taught us, when they disagree with the spec. */
  let learned: { limit?: number; windowMs?: number } = {};
  const queue: Waiter[] = [];
  let inFlight = 0;
  let seq = 0;
  let pumping = false;
  /** Interrupts the pump's sleep when something changed (a new call, an abort). */
  let wake = new AbortController();
  const wakeUp = () => wake.abort();

  const quotaFor = (hint: { limit?: number; windowSeconds?: number } | undefined) => {
    const limit = options.limit ?? learned.limit ?? hint?.limit;
    const windowMs = options.windowMs ?? learned.windowMs ?? (hint?.windowSeconds !== undefined ? hint.windowSeconds * 1000 : undefined);
    if (limit === undefined || windowMs === undefined) return undefined;
    const margin = options.safetyMarginMs ?? windowMs * 0.005 + 10;
    return { limit, windowMs: windowMs + margin };
  };

  /** Hands slots to waiters, best lane first, as the window and the concurrency cap allow. */
  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0) {
        // Aborted calls leave at once, wherever they are in the queue.
        for (let i = queue.length - 1; i >= 0; i--) {
          const w = queue[i]!;
          if (!w.signal?.aborted) continue;
          queue.splice(i, 1);
          refuse(w, new AbortedError(w.signal.reason));
        }
        if (queue.length === 0) break;
        if (inFlight >= maxConcurrent) {
          // A release will pump again; until then each waiter's own deadline still holds.
          for (const w of queue) w.cancelBound ??= boundWait(w);
          return;
        }
        if (queue.length > 1) queue.sort((a, b) => LANE_ORDER[a.lane] - LANE_ORDER[b.lane] || a.seq - b.seq);
        const head = queue[0]!;
        const now = clock.now();
        const free = head.limit === Infinity ? Math.max(now, await store.pausedUntil(key)) : await store.nextFree(key, now, head.limit, head.windowMs);
        if (free > now) {
          const waitMs = free - now;
          // Fail now rather than wait past the call's deadline or the longest acceptable wait.
          const expired = queue.filter((w) => (w.deadline !== undefined && free >= w.deadline) || waitMs > maxWaitMs);
          for (const w of expired) {
            queue.splice(queue.indexOf(w), 1);
            refuse(w, new RateLimitedError(free, waitMs > maxWaitMs ? `a slot frees in ${Math.ceil(waitMs / 1000)} s, more than this client waits` : "no slot before the call's deadline"));
          }
          if (expired.length > 0) continue;
          if (wake.signal.aborted) wake = new AbortController();
          try {
            await clock.sleep(waitMs, wake.signal);
          } catch {
            // woken early: look at the queue again
          }
          continue;
        }
        queue.shift();
        if (head.limit !== Infinity) await store.record(key, now, head.windowMs);
        inFlight++;
        admit(head, head.limit !== Infinity ? now : undefined);
      }
    } finally {
      pumping = false;
    }
  }

  // One abort listener per caller signal, however many of its calls wait (see SignalWatch).
  const signals = new SignalWatch(() => (pumping ? wakeUp() : void pump()));

  /** A waiter leaves the queue: its signal no longer needs watching. */
  function admit(w: Waiter, sentAt: number | undefined): void {
    if (w.signal) signals.unwatch(w.signal);
    w.cancelBound?.();
    w.resolve(sentAt);
  }
  function refuse(w: Waiter, error: Error): void {
    if (w.signal) signals.unwatch(w.signal);
    w.cancelBound?.();
    w.reject(error);
  }

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

  function acquire(lane: Lane, quota: { limit: number; windowMs: number } | undefined, deadline: number | undefined, signal: AbortSignal | undefined): Promise<number | undefined> {
    return new Promise<number | undefined>((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError(signal.reason));
      queue.push({ lane, seq: seq++, limit: quota?.limit ?? Infinity, windowMs: quota?.windowMs ?? 0, deadline, signal, resolve, reject });
      if (signal) signals.watch(signal);
      if (pumping) wakeUp();
      else void pump();
    });
  }

  function release(): void {
    inFlight = Math.max(0, inFlight - 1);
    // Nobody waiting: nothing to hand the slot to.
    if (queue.length > 0) void pump();
  }

  /**
   * Learns the server's view of the quota from an attempt's hints; pauses everyone after a
   * 429 or when the server says the quota is spent. Returns the rate-limit note.
   */
  async function learn(result: AttemptResult, quota: { limit: number } | undefined, call: Call): Promise<RateLimitState | undefined> {
    if (result.exchange === undefined) return undefined;
    const now = clock.now();
    const rl = result.hints.rateLimit;
    if (rl?.limit !== undefined && rl.windowMs !== undefined) learned = { limit: rl.limit, windowMs: rl.windowMs };
    let pauseUntil: number | undefined;
    if (result.exchange.response.status === 429) {
      const wait = result.hints.retryAfterMs ?? rl?.resetMs;
      if (wait !== undefined) {
        pauseUntil = now + wait;
        call.emit({ type: "throttled", retryAt: pauseUntil });
      }
    } else if (rl?.remaining === 0 && rl.resetMs !== undefined && rl.resetMs > 0) {
      // The server says the quota is spent: hold until it resets instead of earning a 429.
      pauseUntil = now + rl.resetMs;
    }
    if (pauseUntil !== undefined) await store.pause(key, pauseUntil);
    const pausedUntil = await store.pausedUntil(key);
    return {
      ...(rl ?? {}),
      ...(quota && rl?.limit === undefined ? { limit: quota.limit } : {}),
      ...(pausedUntil > clock.now() ? { pausedUntil } : {}),
    };
  }

  const policy: Policy = (next) => async (plan) => {
    const { call } = plan;
    const lane: Lane = call.options.priority ?? call.operation.hints.criticality ?? "interactive";
    const quota = quotaFor(call.operation.hints.rateLimit);
    const waitStart = clock.now();
    let sentAt: number | undefined;
    try {
      sentAt = await acquire(lane, quota, call.deadline, call.signal);
    } catch (error) {
      if (error instanceof CarewireError) return refusal(plan, error);
      throw error;
    }
    const waited = clock.now() - waitStart;
    if (waited > 0) call.emit({ type: "rate-limit-wait", waitMs: waited, reason: quota ? `${quota.limit} per ${Math.round(quota.windowMs)} ms` : "concurrency cap or a pause the server asked for" });
    try {
      const result = await next(plan);
      const rateLimit = await learn(result, quota, call);
      return rateLimit === undefined ? result : noted(result, { rateLimit });
    } finally {
      if (sentAt !== undefined && quota) await store.restamp(key, sentAt, clock.now(), quota.windowMs);
      release();
    }
  };

  return Object.assign(policy, {
    async paced<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const quota = quotaFor(undefined);
      const sentAt = await acquire("critical", quota, undefined, signal);
      try {
        return await work();
      } finally {
        if (sentAt !== undefined && quota) await store.restamp(key, sentAt, clock.now(), quota.windowMs);
        release();
      }
    },
  });
}
