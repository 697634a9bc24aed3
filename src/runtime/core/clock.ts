/**
 * Time, injectable: every policy that waits or measures takes a Clock, so tests run
 * retries, windows, breakers and timeouts on a fake clock instead of sleeping.
 */
import { AbortedError } from "./errors.js";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with AbortedError when `signal` fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fire` after `ms` unless the returned function cancels it first: the bound on
   * work outside the process (an attempt, a wait for a token). Unlike a sleep, nothing waits
   * on it. Optional: a clock without it bounds that work on a real timer.
   */
  setTimer?(ms: number, fire: () => void): () => void;
}

/** setTimeout fires at once beyond 2^31-1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer on `clock` (or a real one when the clock has none); returns its cancel. */
export function startTimer(clock: Clock | undefined, ms: number, fire: () => void): () => void {
  if (clock?.setTimer) return clock.setTimer(ms, fire);
  const timer = setTimeout(fire, Math.min(Math.max(0, ms), MAX_TIMER_MS));
  return () => clearTimeout(timer);
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError(signal.reason));
      if (ms <= 0) return resolve();
      const onAbort = () => {
        clearTimeout(timer);
        reject(new AbortedError(signal?.reason));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
  setTimer(ms, fire) {
    const timer = setTimeout(fire, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    return () => clearTimeout(timer);
  },
};

let lastIsoMs = Number.NaN;
let lastIso = "";

/** `new Date(ms).toISOString()`, remembering the last answer: one call asks for the same millisecond several times. */
export function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}
