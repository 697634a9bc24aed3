/**
 * Waits on the simulator's clock that end at once when the simulator closes. A FakeClock's
 * sleep takes the signal itself; a real wait is a timer that is cleared, so a closed
 * simulator holds no timer open (a retry may be hours away).
 */
export interface WaitClock {
  now(): number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The clock the simulator options name, in the shape the waits need. */
export function waitClockOf(option: (() => number) | WaitClock | undefined): WaitClock {
  if (option === undefined) return { now: Date.now };
  if (typeof option === "function") return { now: option };
  return option;
}

/** True when the wait ran its course; false when `signal` fired first. */
export function stoppableWait(clock: WaitClock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  const sleep = clock.sleep?.bind(clock);
  if (sleep) {
    // A clock whose sleep ignores the signal still lets the wait end on it.
    return new Promise((resolve) => {
      const stop = () => resolve(false);
      signal.addEventListener("abort", stop, { once: true });
      sleep(ms, signal).then(
        () => {
          signal.removeEventListener("abort", stop);
          resolve(!signal.aborted);
        },
        () => resolve(false),
      );
    });
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve(true);
    }, Math.min(ms, 2 ** 31 - 1));
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}
