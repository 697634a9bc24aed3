/**
 * Handing recorded events to the app: a few at a time (bounded concurrency), each under a
 * lease, each attempt bounded in time. A failing `onEvent` is tried again after a growing
 * pause; after `maxAttempts` the event is parked as dead, listed and revivable, never
 * dropped. Events are read back from the inbox, so the same loop resumes what a previous
 * process left pending, and picks up retries whose time has come.
 */
import { KindedError } from "../runtime/core/kinded-error.js";
import { startTimer, type Clock } from "../runtime/core/clock.js";
import { startHeartbeat, type Heartbeat } from "../runtime/core/heartbeat.js";
import { WebhookMalformedError } from "./errors.js";
import type { InboxClaim, InboxRecord, WebhookInbox } from "./inbox.js";
import { failureName, type WebhookObserver } from "./observe.js";
import type { VerifiedWebhook } from "./verify.js";

export interface HandOffContext {
  /** 1 for the first hand-off of this event. */
  readonly attempt: number;
  /** Fires when the attempt's time is up or the receiver is closing past its bound. */
  readonly signal: AbortSignal;
}

export type EventHandler<T> = (event: VerifiedWebhook<T>, context: HandOffContext) => unknown;

export interface HandOffRules {
  /** Events handed off at once. Default 4. */
  readonly concurrency: number;
  /** Attempts before an event is dead. Default 8. */
  readonly maxAttempts: number;
  /**
   * The pause after the first failure, doubled after each (ms), less a random part of up to
   * half of it, so events that failed together (a downstream outage) are not all tried again
   * together, here or across a fleet. Default 1,000.
   */
  readonly backoffMs: number;
  /** The longest pause between attempts (ms). Default 5 min. */
  readonly maxBackoffMs: number;
  /**
   * The longest one `onEvent` may run; past it the attempt counts as failed (its signal is
   * aborted). Its lease is kept until onEvent returns, so no other instance starts the event
   * beside it. Default 60 s.
   */
  readonly attemptTimeoutMs: number;
  /** How often the inbox is asked for due events (retries, other processes' leftovers). Default 1 s. */
  readonly pollMs: number;
  /** How long handled ids are kept against late duplicates. Default 7 days. */
  readonly retentionMs: number;
  /** Uniform in [0, 1): the retry pauses' random part. Default Math.random; seeded in tests. */
  readonly random: () => number;
}

export const DEFAULT_HAND_OFF: HandOffRules = { concurrency: 4, maxAttempts: 8, backoffMs: 1_000, maxBackoffMs: 300_000, attemptTimeoutMs: 60_000, pollMs: 1_000, retentionMs: 7 * 86_400_000, random: Math.random };

export class HandOffTimeoutError extends KindedError {
  readonly kind = "hand-off-timeout" as const;
}

export interface HandOff {
  /** Looks for due events now (after an accept, a revive). */
  wake(): void;
  /** Resolves once nothing due is left to hand off and nothing is in flight. */
  settled(): Promise<void>;
  /** Stops taking events; waits up to `deadlineMs` for those in flight, then gives their leases back. */
  stop(deadlineMs: number): Promise<void>;
}

/** An event being handed off here: its latest claim, and what its lease keeping has to know. */
interface Slot {
  claim: InboxClaim;
  /** onEvent is over: the event is being settled, and a refused renewal means nothing. */
  ended?: boolean;
  /** A renewal was refused: told once, not renewed again. */
  lost?: boolean;
}

/** `ready`: nothing is claimed before it settles (a restarted workerId first gives its old leases back, not the ones it just took). */
export function startHandOff<T>(inbox: WebhookInbox, onEvent: EventHandler<T> | undefined, parse: ((payload: unknown) => T) | undefined, rules: HandOffRules, clock: Clock, worker: string, observe: WebhookObserver, ready: Promise<unknown> = Promise.resolve()): HandOff {
  const tasks = new Set<Promise<void>>();
  /** The latest claim on each event being handed off here: a re-claim of a running event renews its lease instead of starting it twice. */
  const running = new Map<string, Slot>();
  /** Attempt timers still set: a stop clears them, so a hung onEvent does not keep the process alive. */
  const timers = new Set<() => void>();
  const stopping = new AbortController();
  /** A lease outlives two attempt timeouts, and is moved on every half timeout while its onEvent runs. */
  const leaseMs = rules.attemptTimeoutMs * 2;
  /** Renews the leases of the events running here; stopped when none runs, or by a stop past its bound. */
  let heartbeat: Heartbeat | undefined;
  /** Set when that stop gives the leases back: a claim that lands later (a slow store) starts no renewals. */
  let gaveBack = false;
  let pumping: Promise<void> | undefined;
  let again = false;
  let lastPurge = Number.NEGATIVE_INFINITY;

  /** Claims due events until the concurrency is used or none is due. */
  async function fill(): Promise<void> {
    while (!stopping.signal.aborted && tasks.size < rules.concurrency) {
      const claims = await inbox.claim(worker, rules.concurrency - tasks.size, leaseMs, clock.now());
      if (claims.length === 0) return;
      for (const claim of claims) {
        const current = running.get(claim.record.id);
        if (current !== undefined) {
          // Its lease ran out while onEvent still runs here: keep the new lease (renewed from now on), start nothing.
          current.claim = claim;
          current.lost = false;
          continue;
        }
        if (stopping.signal.aborted) {
          // The claim came back after a stop began (a slow store): give it back, do not start it.
          await giveBack(claim);
          continue;
        }
        const slot: Slot = { claim };
        running.set(claim.record.id, slot);
        if (!gaveBack) heartbeat ??= startHeartbeat(clock, rules.attemptTimeoutMs / 2, renewLeases);
        const task: Promise<void> = run(slot).finally(() => {
          running.delete(claim.record.id);
          if (running.size === 0) {
            heartbeat?.stop();
            heartbeat = undefined;
          }
          tasks.delete(task);
          wake();
        });
        tasks.add(task);
      }
    }
  }

  /** One filler at a time; a wake while it runs makes it look once more, so no wake is lost. */
  function wake(): void {
    again = true;
    if (pumping !== undefined || stopping.signal.aborted) return;
    pumping = (async () => {
      await ready;
      while (again && !stopping.signal.aborted) {
        again = false;
        await fill();
      }
    })()
      .catch(() => observe({ type: "inbox-error", action: "claim events" }))
      .finally(() => {
        pumping = undefined;
        if (again && !stopping.signal.aborted) wake();
      });
  }

  async function run(slot: Slot): Promise<void> {
    const { record } = slot.claim;
    const attempt = record.attempts;
    let event: VerifiedWebhook<T>;
    try {
      event = eventOf(record, parse);
    } catch (error) {
      return settle(slot, { status: "dead", error: failureName(error) }, () => observe({ type: "dead", id: record.id, attempt, error: failureName(error) }));
    }
    if (onEvent === undefined) {
      // The outbox intake gave this event no writes and there is no onEvent to take it: kept, listed, revivable.
      const reason = "NoWritesNoOnEvent";
      return settle(slot, { status: "dead", error: reason }, () => observe({ type: "dead", id: record.id, attempt, error: reason }));
    }
    try {
      await attemptWithin(rules.attemptTimeoutMs, (signal) => onEvent(event, { attempt, signal }));
    } catch (error) {
      const reason = failureName(error);
      // Attempts counted while a hung onEvent was re-claimed here count too.
      const attempts = Math.max(attempt, slot.claim.record.attempts);
      if (attempts >= rules.maxAttempts) return settle(slot, { status: "dead", error: reason }, () => observe({ type: "dead", id: record.id, attempt, error: reason }));
      const pause = Math.min(rules.maxBackoffMs, rules.backoffMs * 2 ** (attempt - 1));
      let drawn = 0;
      try {
        drawn = rules.random();
      } catch {
        // The app's source failed: the full pause, and the event is still settled.
      }
      // A source that strays outside [0, 1) is held to it: the pause stays between half and all of its length.
      const share = Number.isFinite(drawn) ? Math.min(1, Math.max(0, drawn)) : 0;
      const retryAt = clock.now() + Math.round(pause * (1 - 0.5 * share));
      return settle(slot, { status: "retry", notBefore: retryAt, error: reason }, () => observe({ type: "retry", id: record.id, attempt, retryAt, error: reason }));
    }
    return settle(slot, { status: "handled" }, () => observe({ type: "handled", id: record.id, ...(record.type !== undefined ? { eventType: record.type } : {}), attempt }));
  }

  /**
   * Moves on the lease of every event whose onEvent runs here, however long it runs (a hung
   * handler past its timeout included), so another instance never starts it beside this one.
   * A lease found lost is told once; the event's settle will then write nothing.
   */
  async function renewLeases(): Promise<void> {
    const now = clock.now();
    await Promise.all(
      [...running.values()].map(async (slot) => {
        if (slot.ended || slot.lost) return;
        const claim = slot.claim;
        try {
          if (await inbox.extend(claim, leaseMs, now)) return;
          // Settled meanwhile, or re-claimed here (its lease had run out: the new one is this worker's).
          if (slot.ended || slot.claim !== claim) return;
          slot.lost = true;
          observe({ type: "lease-lost", id: claim.record.id });
        } catch {
          observe({ type: "inbox-error", action: "keep a lease" });
        }
      }),
    );
  }

  /**
   * Ends the lease of an event claimed but never started here, so another instance can take it
   * now rather than after the lease's length, without counting the claim as an attempt.
   */
  async function giveBack(claim: InboxClaim): Promise<void> {
    try {
      if (inbox.giveBack !== undefined) await inbox.giveBack(claim, clock.now());
      else await inbox.extend(claim, 0, clock.now());
    } catch {
      // The lease runs out on its own: the event is handed off later, never lost.
      observe({ type: "inbox-error", action: "give a lease back" });
    }
  }

  async function settle(slot: Slot, settlement: Parameters<WebhookInbox["settle"]>[1], told: () => void): Promise<void> {
    slot.ended = true;
    try {
      if (await inbox.settle(slot.claim, settlement, clock.now())) told();
    } catch {
      // The lease runs out and the event is handed off again: at least once, never lost.
      observe({ type: "inbox-error", action: "settle an event" });
    }
  }

  /**
   * Runs one attempt, bounded: past the bound its signal is aborted and it has failed, but it
   * keeps its slot (and its lease, renewed by re-claims) until onEvent actually returns, so a
   * hung handler is never run again beside itself.
   */
  async function attemptWithin(ms: number, work: (signal: AbortSignal) => unknown): Promise<void> {
    const abort = new AbortController();
    const onStop = () => abort.abort(stopping.signal.reason);
    stopping.signal.addEventListener("abort", onStop, { once: true });
    let timedOut = false;
    const cancel = startTimer(clock, ms, () => {
      timers.delete(cancel);
      timedOut = true;
      abort.abort(new HandOffTimeoutError(`onEvent did not finish within ${ms} ms`));
    });
    timers.add(cancel);
    try {
      await work(abort.signal);
    } finally {
      timers.delete(cancel);
      cancel();
      stopping.signal.removeEventListener("abort", onStop);
    }
    if (timedOut) throw new HandOffTimeoutError(`onEvent did not finish within ${ms} ms`);
  }

  async function poll(): Promise<void> {
    while (!stopping.signal.aborted) {
      wake();
      const now = clock.now();
      if (now - lastPurge >= Math.min(rules.retentionMs, 3_600_000)) {
        lastPurge = now;
        await inbox.purge(now - rules.retentionMs).catch(() => observe({ type: "inbox-error", action: "purge handled events" }));
      }
      await clock.sleep(rules.pollMs, stopping.signal).catch(() => undefined);
    }
  }
  const polling = poll();

  return {
    wake,
    async settled() {
      for (;;) {
        // A wake while a filler runs would make it look again, and this loop wait on that look, and so on.
        if (pumping === undefined) wake();
        await pumping;
        if (tasks.size === 0 && pumping === undefined) return;
        await Promise.all([...tasks]);
      }
    },
    async stop(deadlineMs) {
      // The bound starts now and covers everything below.
      let cancel = () => undefined as void;
      const deadline = new Promise<false>((resolve) => (cancel = startTimer(clock, deadlineMs, () => resolve(false))));
      stopping.abort();
      const finished = await Promise.race([(async () => {
        await polling;
        await pumping;
        await Promise.all([...tasks]);
        return true;
      })(), deadline]);
      cancel();
      for (const stopTimer of timers) stopTimer();
      timers.clear();
      // Past the bound an onEvent may still run while its event is given back: at least once, not exactly once.
      if (!finished) {
        gaveBack = true;
        heartbeat?.stop();
        heartbeat = undefined;
      }
      if (!finished) await inbox.release(worker, clock.now()).catch(() => observe({ type: "inbox-error", action: "release leases" }));
    },
  };
}

function eventOf<T>(record: InboxRecord, parse: ((payload: unknown) => T) | undefined): VerifiedWebhook<T> {
  let payload: unknown;
  try {
    payload = JSON.parse(record.raw);
  } catch {
    throw new WebhookMalformedError("the recorded webhook body is not JSON");
  }
  return { id: record.id, timestamp: record.timestamp, type: record.type, payload: parse ? parse(payload) : (payload as T), raw: record.raw };
}
