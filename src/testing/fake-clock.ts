/**
 * A clock for tests of time-dependent code (carewire's policies, or the caller's).
 *
 * - manual (default): `sleep` waits until the test calls `advance(ms)`, which fires due
 *   timers in time order.
 * - `autoAdvance: true`: every `sleep(ms)` returns on the next turn of the event loop with
 *   the clock moved to (time of the call + ms): waits cost no real time, and the virtual
 *   time they would have taken is measurable. Handy with real HTTP in the loop.
 *
 * Timers (`setTimer`: attempt timeouts, token deadlines) are on the fake clock in manual
 * mode only: `advance` fires them with the sleeps, so a test decides when an attempt times
 * out. In auto-advance mode the clock has no `setTimer` and those bounds run on real
 * timers: they bound real work (a socket), which a jump of virtual time made by some
 * sleep must not cut short.
 */
import type { Clock } from "../runtime/core/clock.js";
import { AbortedError } from "../runtime/core/errors.js";
import { onAbort } from "../runtime/core/abort-watch.js";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
  /** A setTimer bound rather than a sleep: nothing waits on it. */
  readonly bound?: true;
}

export class FakeClock implements Clock {
  private current: number;
  private readonly timers: Timer[] = [];
  private seq = 0;
  private readonly autoAdvance: boolean;
  /** Every sleep requested, in ms, in call order. */
  readonly sleeps: number[] = [];

  constructor(options: { start?: number; autoAdvance?: boolean } = {}) {
    this.current = options.start ?? Date.UTC(2030, 0, 1);
    this.autoAdvance = options.autoAdvance ?? false;
    if (!this.autoAdvance) this.setTimer = (ms, fire) => this.addTimer(ms, fire);
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const wait = Math.max(0, Number.isFinite(ms) ? ms : 0);
    this.sleeps.push(wait);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError(signal.reason));
      const at = this.current + wait;
      if (this.autoAdvance) {
        setImmediate(() => {
          if (signal?.aborted) return reject(new AbortedError(signal.reason));
          this.current = Math.max(this.current, at);
          resolve();
        });
        return;
      }
      // The abort watch leaves the signal when the sleep ends either way: a loop that sleeps
      // on one signal (a heartbeat) must not add a listener per turn.
      const stopWatching = signal
        ? onAbort(signal, () => {
            const i = this.timers.indexOf(timer);
            if (i >= 0) this.timers.splice(i, 1);
            reject(new AbortedError(signal.reason));
          })
        : undefined;
      const timer: Timer = {
        at,
        seq: this.seq++,
        resolve: () => {
          stopWatching?.();
          resolve();
        },
      };
      this.timers.push(timer);
    });
  }

  /** Present in manual mode only (see above). */
  readonly setTimer?: (ms: number, fire: () => void) => () => void;

  private addTimer(ms: number, fire: () => void): () => void {
    const bound: Timer = { at: this.current + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.seq++, resolve: fire, bound: true };
    this.timers.push(bound);
    return () => {
      const i = this.timers.indexOf(bound);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  /** Moves time forward, firing due timers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.at);
      next.resolve();
      await new Promise((r) => setImmediate(r));
    }
    this.current = target;
    await new Promise((r) => setImmediate(r));
  }

  /** Sleeps waiting for time to pass (setTimer bounds not counted: nothing waits on them). */
  get pending(): number {
    let sleeping = 0;
    for (const timer of this.timers) if (!timer.bound) sleeping++;
    return sleeping;
  }
}
