/**
 * Time, injectable: every policy that waits or measures takes a Clock, so tests run
 * retries, windows, breakers and timeouts on a fake clock instead of sleeping.
 */
import { AbortedError } from "./errors.js";
import { onAbort } from "./abort-watch.js";

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
  return clock?.setTimer ? clock.setTimer(ms, fire) : systemClock.setTimer!(ms, fire);
}

/**
 * Stops a real timer. Unref'd first: Node then keeps its list of the timers of that
 * duration for the next one (every attempt starts the same timeout) rather than dropping
 * and rebuilding it, and rescheduling its own timer, once per attempt (3× the cost).
 * Browsers' timers are plain numbers, with nothing to unref.
 */
function cancel(timer: NodeJS.Timeout): void {
  (timer as { unref?: () => void }).unref?.();
  clearTimeout(timer);
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError(signal.reason));
      if (ms <= 0) return resolve();
      const timer = setTimeout(() => {
        stopWatching?.();
        resolve();
      }, ms);
      const stopWatching = signal
        ? onAbort(signal, () => {
            clearTimeout(timer);
            reject(new AbortedError(signal.reason));
          })
        : undefined;
    });
  },
  setTimer(ms, fire) {
    const timer = setTimeout(fire, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    return () => cancel(timer);
  },
};

let lastIsoMs = Number.NaN;
let lastIso = "";
/** The minute of the last formatted time: its start (epoch ms) and its text up to the seconds, `2026-11-30T08:03:`. */
let minuteStart = Number.NaN;
let minutePrefix = "";

/**
 * `new Date(ms).toISOString()`, remembering the last answer (one call asks for the same
 * millisecond several times) and the last minute's text: within it only the seconds and
 * milliseconds are written (`ss.sssZ`, the end of every ISO string), not a whole date.
 */
export function isoTime(ms: number): string {
  if (ms === lastIsoMs) return lastIso;
  const inMinute = ms - minuteStart;
  // Dates end 8.64e15 ms either side of 1970 (past them toISOString throws, and still must).
  if (Number.isInteger(ms) && inMinute >= 0 && inMinute < 60_000 && Math.abs(ms) <= 8.64e15) {
    const seconds = Math.floor(inMinute / 1000);
    const millis = inMinute % 1000;
    lastIso = `${minutePrefix}${seconds < 10 ? "0" : ""}${seconds}.${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
  } else {
    lastIso = new Date(ms).toISOString();
    // A fraction of a millisecond is dropped by Date: its minute is not worked out here.
    minuteStart = Number.isInteger(ms) ? ms - (((ms % 60_000) + 60_000) % 60_000) : Number.NaN;
    minutePrefix = lastIso.slice(0, -7);
  }
  lastIsoMs = ms;
  return lastIso;
}
