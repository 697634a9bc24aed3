/**
 * Fake time for tests that put real HTTP between a client and a simulator.
 *
 * - With carewire's FakeClock (manual), the test moves time itself: `untilWaiting` waits
 *   (in real time, bounded) until the simulator is sleeping on the clock, `stepWhileWaiting`
 *   moves the clock on whenever something sleeps on it. A response held by a latency fault
 *   cannot arrive before the test advances the clock, however slow or fast the machine.
 * - With `SteppedClock`, the system moves time: it jumps to the next timer only once no
 *   request is on the wire and nothing else can run. A sync of hundreds of calls then
 *   sees the same fake times, the same server answers and the same faults on every run.
 */
import { AbortedError, type Clock, type FetchLike } from "carewire";
import type { FakeClock } from "carewire/testing";

/** How long (real time) a helper waits for something to start sleeping before it gives up. */
const WAIT_LIMIT_MS = 10_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Moves a manual FakeClock on by `ms` in steps of `stepMs` (at least one step), letting a few
 * event-loop turns pass after each, so store calls and their callbacks run between steps as
 * they would between real timer ticks.
 */
export async function advanceInSteps(clock: FakeClock, ms: number, stepMs = 100, turns = 5): Promise<void> {
  let moved = 0;
  do {
    const step = Math.min(stepMs, ms - moved);
    await clock.advance(step);
    moved += step;
    for (let i = 0; i < turns; i++) await nextTurn();
  } while (moved < ms);
}

/** Resolves once `count` timers wait on `clock`; fails after WAIT_LIMIT_MS of real time. */
export async function untilWaiting(clock: FakeClock, count = 1): Promise<void> {
  const giveUpAt = Date.now() + WAIT_LIMIT_MS;
  while (clock.pending < count) {
    if (Date.now() > giveUpAt) throw new Error(`expected ${count} timer(s) on the fake clock within ${WAIT_LIMIT_MS} ms, saw ${clock.pending}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Runs `work` to its end, advancing `clock` by `stepMs` each time something sleeps on it.
 * Returns the value and the fake time that had passed when it settled (time moves only
 * here, one step per wait; a wait that begins as the work ends may be stepped through too).
 */
export async function stepWhileWaiting<T>(clock: FakeClock, work: Promise<T>, stepMs: number): Promise<{ value: T; elapsedMs: number }> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  let elapsedMs = 0;
  const giveUpAt = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    while (!settled && clock.pending === 0) {
      if (Date.now() > giveUpAt) throw new Error(`the work neither ended nor slept on the fake clock within ${WAIT_LIMIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (settled) return { value: await work, elapsedMs };
    await clock.advance(stepMs);
    elapsedMs += stepMs;
  }
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/** Turns in a row with nothing in flight before time may move: enough for any chain of callbacks to reach its next wait. */
const QUIET_TURNS = 10;

/**
 * Discrete-event time for a client and a simulator in one process. Hand the same instance
 * to both (`clock` on each) and use its `fetch` in the client; `run(work)` then moves time
 * to the next timer whenever every request has been answered and nothing else can run, as
 * on an infinitely fast machine. Requests go on the wire one at a time, in the order the
 * client makes them, so the server sees the same sequence (and draws the same seeded
 * faults) on every run.
 */
export class SteppedClock implements Clock {
  private current: number;
  private readonly timers: Timer[] = [];
  private seq = 0;
  /** Requests made through `fetch` and not yet answered in full. */
  private open = 0;
  private wire: Promise<unknown> = Promise.resolve();

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const abort = () => reject(new AbortedError(signal?.reason));
      if (signal?.aborted) return abort();
      const timer: Timer = { at: this.current + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.seq++, resolve };
      this.timers.push(timer);
      signal?.addEventListener("abort", () => (this.drop(timer), abort()), { once: true });
    });
  }

  private drop(timer: Timer): void {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Node's fetch, one request at a time, each body read in full before the next is sent. */
  readonly fetch: FetchLike = (request) => {
    this.open++;
    const answered = this.wire.then(async () => {
      const response = await fetch(request);
      const body = await response.arrayBuffer();
      const empty = response.status === 204 || response.status === 304 || body.byteLength === 0;
      return new Response(empty ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
    });
    this.wire = answered.catch(() => undefined);
    return answered.finally(() => void this.open--);
  };

  /** Drives time until `work` settles; fails at once if it waits on neither a request nor this clock. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      for (let quiet = 0; quiet < QUIET_TURNS; quiet = this.open > 0 ? 0 : quiet + 1) await nextTurn();
      if (settled) return work;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) throw new Error("stalled: the work waits on neither a request nor the clock");
      this.current = Math.max(this.current, next.at);
      next.resolve();
    }
  }
}
