/**
 * Waits for a promise shared by several calls, but no longer than this call may: its own
 * signal and its deadline end the wait (the shared work goes on for the calls that can
 * still use it). The deadline is a timer on the call's clock, like an attempt's timeout.
 */
import type { Call } from "./call.js";
import { startTimer } from "./clock.js";
import { AbortedError, TimeoutError } from "./errors.js";

export function untilDeadline<T>(shared: Promise<T>, call: Call, waitingFor: string): Promise<T> {
  const { signal, deadline } = call;
  if (!signal && deadline === undefined) return shared;
  if (signal?.aborted) return Promise.reject(new AbortedError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => settle(() => reject(new AbortedError(signal?.reason)));
    const remaining = deadline === undefined ? undefined : Math.max(0, deadline - call.clock.now());
    const cancelTimer = remaining === undefined ? undefined : startTimer(call.clock, remaining, () => settle(() => reject(new TimeoutError(call.deadlineMs, "deadline", waitingFor))));
    function settle(done: () => void): void {
      cancelTimer?.();
      signal?.removeEventListener("abort", onAbort);
      done();
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    shared.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
