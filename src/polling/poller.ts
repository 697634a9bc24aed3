/**
 * `poller()`: polls a set of targets, each at a cadence that follows how often it changes,
 * and hands what changed to `onChange`. The guarantee: a target's checkpoint is saved only
 * after `onChange` has returned for the changes it covers, so a restart from a durable
 * store misses nothing, and repeats nothing unless the process died between a hand-off and
 * its save (at most that one batch, which `checkpoint` lets the app recognise).
 *
 * One loop sleeps until the next target is due (or a poll ends, or `stop`); polls run at
 * most `concurrency` at a time, each within its deadline. A 429 or an open circuit holds
 * every target of that tenant and provider until the provider's own time.
 */
import { onAbort } from "../runtime/core/abort-watch.js";
import { startTimer, systemClock, type Clock } from "../runtime/core/clock.js";
import { AbortedError } from "../runtime/core/errors.js";
import { cadenceOf, nextInterval, type CadenceOptions } from "./cadence.js";
import { memoryPollCheckpointStore, type PollCheckpointStore } from "./checkpoint-store.js";
import { PollOptionsError } from "./errors.js";
import type { PollEvent, PollObserver } from "./events.js";
import { pauseFor, Pauses } from "./pauses.js";
import { jittered, phaseOf } from "./spread.js";
import type { PollCheckpoint, PolledChanges, PollTarget } from "./types.js";

export interface PollerOptions<C> extends CadenceOptions {
  readonly targets: readonly PollTarget<C>[];
  /** Receives each batch of changes, oldest first; the checkpoint is saved once it returns. A throw leaves the checkpoint: the changes come again. */
  readonly onChange: (changes: PolledChanges<C>) => Promise<void> | void;
  /** Where checkpoints live. Default: memory (this process only). */
  readonly store?: PollCheckpointStore;
  readonly clock?: Clock;
  /** Uniform in [0, 1) for jitter (tests pass a seeded one). */
  readonly random?: () => number;
  /** Each interval is stretched or shrunk by up to this fraction of itself. Default 0.1. */
  readonly jitter?: number;
  /** Polls in flight at once. Default 4. */
  readonly concurrency?: number;
  /** Time one poll may take, hand-offs included, in ms. Default 60 000. */
  readonly pollDeadlineMs?: number;
  /** Longest `stop()` waits for polls in flight to finish their current batch, in ms. Default 10 000. */
  readonly stopTimeoutMs?: number;
  readonly observer?: PollObserver;
}

export interface Poller {
  /** Starts polling (again, after a stop). */
  start(): void;
  /**
   * Stops: no new poll starts; a poll in flight ends after its current batch (handed off and
   * saved), and is aborted if it has not by `stopTimeoutMs`. Resolves when every hand-off has
   * settled, or at `stopTimeoutMs` (an `onChange` that ignores its signal may still run then).
   */
  stop(): Promise<void>;
  readonly running: boolean;
  /** A target's current interval in ms (undefined for an unknown key). */
  intervalOf(key: string): number | undefined;
  /**
   * Polls this target as soon as a slot is free, pauses permitting (a webhook or a
   * notification said something changed). False for an unknown key.
   */
  pollSoon(key: string): boolean;
}

interface TargetState<C> {
  readonly target: PollTarget<C>;
  readonly provider: string;
  intervalMs: number;
  nextAt: number;
  busy: boolean;
  /** `pollSoon` came while a poll was running: poll again as soon as it ends (it may have missed the change). */
  soon: boolean;
  checkpoint: PollCheckpoint | undefined;
  loaded: boolean;
}

export function poller<C>(options: PollerOptions<C>): Poller {
  const cadence = cadenceOf(options);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const store = options.store ?? memoryPollCheckpointStore();
  const jitter = options.jitter ?? 0.1;
  const concurrency = options.concurrency ?? 4;
  const pollDeadlineMs = options.pollDeadlineMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  if (!(jitter >= 0 && jitter < 1)) throw new PollOptionsError(`jitter must be in [0, 1), got ${jitter}`);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new PollOptionsError(`concurrency must be a whole number of at least 1, got ${concurrency}`);
  for (const [name, ms] of [["pollDeadlineMs", pollDeadlineMs], ["stopTimeoutMs", stopTimeoutMs]] as const) {
    if (!(Number.isFinite(ms) && ms > 0)) throw new PollOptionsError(`${name} must be a positive number of ms, got ${ms}`);
  }
  const keys = new Set<string>();
  for (const target of options.targets) {
    if (keys.has(target.key)) throw new PollOptionsError(`two targets share the key "${target.key}": a key names one checkpoint`);
    keys.add(target.key);
  }

  const emit = (event: PollEvent) => {
    try {
      options.observer?.(event);
    } catch {
      // An observer's failure must not stop polling.
    }
  };
  const states: Array<TargetState<C>> = options.targets.map((target) => ({ target, provider: target.provider ?? "default", intervalMs: cadence.initialIntervalMs, nextAt: 0, busy: false, soon: false, checkpoint: undefined, loaded: false }));
  const pauses = new Pauses();
  const inFlight = new Map<TargetState<C>, { abort: AbortController; done: Promise<void> }>();
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let sleeping: AbortController | undefined;
  const wake = () => sleeping?.abort();

  async function poll(state: TargetState<C>, abort: AbortController): Promise<void> {
    const { target } = state;
    const about = { key: target.key, tenant: target.tenant };
    const cancelDeadline = startTimer(clock, pollDeadlineMs, () => abort.abort(new Error("the poll's deadline passed")));
    const startedAt = clock.now();
    emit({ type: "poll", ...about, at: startedAt });
    let changes = 0;
    let during: "poll" | "hand-off" | "checkpoint" = "checkpoint";
    let failure: unknown;
    let handoff: Promise<unknown> | undefined;
    try {
      if (!state.loaded) {
        state.checkpoint = await store.load(target.key);
        state.loaded = true;
      }
      during = "poll";
      const context = { signal: abort.signal, deadlineMs: pollDeadlineMs, now: startedAt };
      for await (const batch of target.changesSince(state.checkpoint, context)) {
        if (batch.changes.length > 0) {
          during = "hand-off";
          handoff = Promise.resolve().then(() => options.onChange({ ...about, changes: batch.changes, checkpoint: batch.checkpoint, at: clock.now(), signal: abort.signal }));
          await untilAborted(handoff, abort.signal);
          handoff = undefined;
          changes += batch.changes.length;
        }
        during = "checkpoint";
        await store.save(target.key, batch.checkpoint);
        state.checkpoint = batch.checkpoint;
        // Stopping ends the poll here, between batches: nothing handed off goes unsaved.
        if (!running) break;
        during = "poll";
      }
    } catch (error) {
      failure = error;
    } finally {
      cancelDeadline();
    }
    const now = clock.now();
    const pause = failure === undefined ? undefined : pauseFor(failure, now, cadence.maxIntervalMs);
    if (pause) {
      pauses.hold(target.tenant, state.provider, pause.until);
      emit({ type: "paused", ...about, at: now, provider: state.provider, reason: pause.reason, until: pause.until });
    } else if (failure !== undefined) {
      // A stop's abort is not a failure of the target.
      if (running) emit({ type: "failed", ...about, at: now, errorKind: kindOf(failure), during });
    } else emit(changes > 0 ? { type: "changed", ...about, at: now, changes } : { type: "unchanged", ...about, at: now });
    const fromMs = state.intervalMs;
    if (!pause) state.intervalMs = nextInterval(cadence, fromMs, changes > 0);
    if (state.intervalMs !== fromMs) emit({ type: "cadence", ...about, at: now, fromMs, toMs: state.intervalMs });
    state.nextAt = state.soon ? now : now + jittered(state.intervalMs, jitter, random, cadence.minIntervalMs * (1 - jitter));
    state.soon = false;
    // A hand-off abandoned at the deadline keeps its target busy (and its slot taken) until it
    // settles: handing the same batch over again while it runs would hand it twice at once.
    if (handoff !== undefined) await handoff.catch(() => undefined);
  }

  function launch(state: TargetState<C>): void {
    state.busy = true;
    state.soon = false;
    const abort = new AbortController();
    const done = poll(state, abort).finally(() => {
      state.busy = false;
      inFlight.delete(state);
      wake();
    });
    inFlight.set(state, { abort, done });
  }

  async function loop(): Promise<void> {
    while (running) {
      const now = clock.now();
      let wakeAt = now + cadence.maxIntervalMs;
      const due: Array<TargetState<C>> = [];
      for (const state of states) {
        if (state.busy) continue;
        const dueAt = Math.max(state.nextAt, pauses.heldUntil(state.target.tenant, state.provider, now) ?? 0);
        if (dueAt <= now) due.push(state);
        else wakeAt = Math.min(wakeAt, dueAt);
      }
      due.sort((a, b) => a.nextAt - b.nextAt);
      for (const state of due) {
        if (inFlight.size >= concurrency) break;
        launch(state);
      }
      // Targets due beyond the concurrency wait for a poll to end (which wakes this loop).
      sleeping = new AbortController();
      await clock.sleep(Math.max(1, wakeAt - now), sleeping.signal).catch(() => undefined);
      sleeping = undefined;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      const now = clock.now();
      for (const state of states) if (state.nextAt === 0) state.nextAt = now + phaseOf(state.target.tenant, state.target.key, cadence.initialIntervalMs);
      loopDone = loop();
    },
    async stop() {
      if (!running) return loopDone;
      running = false;
      wake();
      const settled = Promise.all([loopDone, ...[...inFlight.values()].map((p) => p.done)]).then(() => undefined);
      // Polls get until the bound to finish their current batch; then their calls are aborted and stop returns.
      let cancel = () => {};
      const bound = new Promise<void>((resolve) => (cancel = startTimer(clock, stopTimeoutMs, resolve)));
      await Promise.race([settled, bound]);
      cancel();
      for (const { abort } of inFlight.values()) abort.abort(new Error("the poller stopped"));
    },
    get running() {
      return running;
    },
    intervalOf: (key) => states.find((s) => s.target.key === key)?.intervalMs,
    pollSoon(key) {
      const state = states.find((s) => s.target.key === key);
      if (state === undefined) return false;
      if (state.busy) state.soon = true;
      else state.nextAt = Math.min(state.nextAt, clock.now());
      wake();
      return true;
    },
  };
}

/** `work`, or AbortedError once `signal` fires: a hand-off that never returns must not hold its target for ever (its changes come again). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const stopWatching = onAbort(signal, () => reject(new AbortedError(signal.reason)));
    work.then(
      (value) => (stopWatching(), resolve(value)),
      (error: unknown) => (stopWatching(), reject(error)),
    );
  });
}

function kindOf(error: unknown): string {
  const kind = typeof error === "object" && error !== null ? (error as { kind?: unknown }).kind : undefined;
  return typeof kind === "string" ? kind : "unexpected";
}
