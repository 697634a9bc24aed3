/**
 * Waits for a promise shared by several calls, but no longer than this call may: its own
 * signal and its deadline end the wait (the shared work goes on for the calls that can
 * still use it). The deadline is a timer on the call's clock, like an attempt's timeout.
 * However many calls wait with one signal (apps share one across a whole sync), the signal
 * carries one abort listener, not one per call.
 */
import type { Call } from "./call.js";
import { startTimer } from "./clock.js";
import { onAbort } from "./abort-watch.js";
import { AbortedError, TimeoutError } from "./errors.js";

export function untilDeadline<T>(shared: Promise<T>, call: Call, waitingFor: string): Promise<T> {
  const { signal, deadline } = call;
  if (!signal && deadline === undefined) return shared;
  if (signal?.aborted) return Promise.reject(new AbortedError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const remaining = deadline === undefined ? undefined : Math.max(0, deadline - call.clock.now());
    const stopWatching = signal ? onAbort(signal, () => settle(() => reject(new AbortedError(signal.reason)))) : undefined;
    const cancelTimer = remaining === undefined ? undefined : startTimer(call.clock, remaining, () => settle(() => reject(new TimeoutError(call.deadlineMs, "deadline", waitingFor))));
    let settled = false;
    function settle(done: () => void): void {
      if (settled) return;
      settled = true;
      cancelTimer?.();
      stopWatching?.();
      done();
    }
    shared.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
