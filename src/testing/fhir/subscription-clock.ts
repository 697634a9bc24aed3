/**
 * The subscription engine's time: the simulator's clock for "now", and sleeps (heartbeats,
 * delayed notifications) that a signal ends, so `close()` leaves no timer behind.
 */
import { onAbort } from "../../runtime/core/abort-watch.js";
import { systemClock } from "../../runtime/core/clock.js";
import { AbortedError } from "../../runtime/core/errors.js";
import type { SimulatorClock } from "../simulator/clock.js";

export interface EngineClock {
  now(): number;
  /** Resolves after `ms`, or rejects once `signal` fires. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The engine's time from the simulator's clock option: a fake clock's sleeps, or real timers, either way stopped by the signal. */
export function engineClock(option: (() => number) | SimulatorClock | undefined): EngineClock {
  if (option === undefined || typeof option === "function") return { now: option ?? Date.now, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
  return {
    now: () => option.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const stopWatching = onAbort(signal, () => reject(new AbortedError(signal.reason)));
        option.sleep(ms).then(() => {
          stopWatching();
          resolve();
        }, reject);
      }),
  };
}

