/**
 * First contact with a provider whose quota nobody has named yet (no config, no spec, no
 * instance of the fleet has heard from the server): one call goes first, and the calls
 * that come while it is out wait for its answer, whose rate-limit headers may name the
 * quota. Without this, a burst of first calls reaches the server unpaced and earns a 429
 * for every send past a quota the very first answer would have told. After that answer
 * (headers or not), calls go as the quota then known says. Each wait ends by the waiting
 * call's own deadline or signal (one abort listener per signal, however many calls wait).
 */
import type { Call } from "../core/call.js";
import { startTimer } from "../core/clock.js";
import { AbortedError, TimeoutError } from "../core/errors.js";
import { SignalWatch } from "./signal-watch.js";

export interface Turn {
  /** The first answer to wait for (ends by the call's deadline or signal), or undefined: this call goes now. */
  readonly wait?: () => Promise<void>;
  /** For the call that goes first: its answer is in (call once, whatever the outcome). */
  readonly done?: () => void;
}

interface Waiter {
  readonly call: Call;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly cancelTimer: (() => void) | undefined;
}

export class FirstContact {
  private answered = false;
  private leading = false;
  private readonly waiters: Waiter[] = [];
  private readonly signals = new SignalWatch(() => this.dropAborted());

  /** A call under an unnamed quota asks for its turn. */
  turn(call: Call): Turn {
    if (this.answered) return {};
    if (this.leading) return { wait: () => this.waitFor(call) };
    this.leading = true;
    return { done: () => this.release() };
  }

  private release(): void {
    if (this.answered) return;
    this.answered = true;
    for (const w of this.waiters.splice(0)) this.leave(w, () => w.resolve());
  }

  private waitFor(call: Call): Promise<void> {
    const { signal, deadline } = call;
    if (signal?.aborted) return Promise.reject(new AbortedError(signal.reason));
    return new Promise<void>((resolve, reject) => {
      const remaining = deadline === undefined ? undefined : Math.max(0, deadline - call.clock.now());
      const waiter: Waiter = {
        call,
        resolve,
        reject,
        cancelTimer:
          remaining === undefined
            ? undefined
            : startTimer(call.clock, remaining, () => {
                const i = this.waiters.indexOf(waiter);
                if (i >= 0) this.leave(this.waiters.splice(i, 1)[0]!, () => reject(new TimeoutError(call.deadlineMs, "deadline", "the first answer from the provider")));
              }),
      };
      this.waiters.push(waiter);
      if (signal) this.signals.watch(signal);
    });
  }

  private dropAborted(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      const signal = w.call.signal;
      if (signal?.aborted) this.leave(this.waiters.splice(i, 1)[0]!, () => w.reject(new AbortedError(signal.reason)));
    }
  }

  private leave(w: Waiter, settle: () => void): void {
    w.cancelTimer?.();
    if (w.call.signal) this.signals.unwatch(w.call.signal);
    settle();
  }
}
