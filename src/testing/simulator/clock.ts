/**
 * The simulators' time. A test hands in a function (`() => ms`) when only "now" matters
 * (quota windows, token expiry, outages), or a clock with `sleep` too (carewire's
 * FakeClock) when latency and slow-drip faults must wait on fake time instead of real
 * timers: then nothing the simulator does depends on how fast the machine is.
 */
import { onAbort } from "../../runtime/core/abort-watch.js";
import { systemClock } from "../../runtime/core/clock.js";
import { AbortedError } from "../../runtime/core/errors.js";

export interface SimulatorClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The simulator's time as it uses it. `sleep` is a fault's wait (bounded as fault plans
 * are); `wait` is what the simulator schedules by itself (heartbeats, webhook retries hours
 * away, data that changes): not bounded, and ended by `signal` (rejecting with
 * AbortedError), so a closed simulator leaves no timer behind.
 */
export interface SimulatorTime extends SimulatorClock {
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

/** Longest single wait a fault may ask for (the fault plan validates the same bound). */
const MAX_WAIT_MS = 600_000;

export function simulatorClock(option: (() => number) | SimulatorClock | undefined): SimulatorTime {
  if (option === undefined || typeof option === "function") {
    return { now: option ?? Date.now, sleep: realSleep, wait: (ms, signal) => systemClock.sleep(Math.min(ms, MAX_TIMER_MS), signal) };
  }
  return {
    now: () => option.now(),
    sleep: (ms) => option.sleep(bounded(ms)),
    // A clock whose sleep ignores the signal still lets the wait end on it.
    wait: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(new AbortedError(signal.reason));
        const stopWatching = onAbort(signal, () => reject(new AbortedError(signal.reason)));
        option.sleep(ms, signal).then(() => {
          stopWatching();
          resolve();
        }, reject);
      }),
  };
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, bounded(ms)));
}

/** setTimeout fires at once beyond 2^31-1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function bounded(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_WAIT_MS);
}

/** True when the wait ran its course; false when `signal` fired first (the simulator is closing). */
export function waitUnlessStopped(time: SimulatorTime, ms: number, signal: AbortSignal): Promise<boolean> {
  return time.wait(ms, signal).then(
    () => !signal.aborted,
    () => false,
  );
}
