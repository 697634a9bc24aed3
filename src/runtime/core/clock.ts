/**
 * Time, injectable: every policy that waits or measures takes a Clock, so tests run
 * retries, windows and breakers on a fake clock instead of sleeping.
 */
import { AbortedError } from "./errors.js";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with AbortedError when `signal` fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
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
