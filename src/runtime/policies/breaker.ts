/**
 * Circuit breaker per provider and endpoint group. It opens when the
 * failure ratio over a window passes a threshold with enough traffic to judge, lets one
 * probe through after `openMs`, and closes when the probe succeeds. A 429 is pacing,
 * not a failure; a 4xx means the server is up. While open, calls fail at once with
 * CircuitOpenError (the cache policy may answer them with stale data).
 *
 * The circuit lives in a store (memory, or Redis for a fleet): each step is one atomic
 * store call, so instances sharing a store open together and send one probe between them.
 */
import { randomId } from "../portable/random-id.js";
import { noted, refusal, type AttemptPlan, type AttemptResult, type Notes, type Policy } from "../core/attempt.js";
import type { Call } from "../core/call.js";
import type { Clock } from "../core/clock.js";
import { CircuitOpenError } from "../core/errors.js";
import type { OperationDescriptor } from "../core/operation.js";
import { MemoryBreakerStore, type BreakerOutcome, type BreakerRules, type BreakerState, type BreakerStore, type CircuitChange } from "../stores/breaker-store.js";
import { isThenable } from "../portable/thenable.js";

export type { BreakerState } from "../stores/breaker-store.js";

export interface BreakerOptions {
  /** Failures / (failures + successes) at which the circuit opens. Default 0.5. */
  readonly failureRatio?: number | undefined;
  /** Outcomes in the window before the ratio counts. Default 10. */
  readonly minimumThroughput?: number | undefined;
  readonly windowMs?: number | undefined;
  /** Time open before a probe is let through. Default 5 s. */
  readonly openMs?: number | undefined;
  /** A probe that never reports (its process died) frees the circuit after this. Default 60 s. */
  readonly probeLeaseMs?: number | undefined;
  /** Endpoint group of an operation. Default: its first tag, else the first path segment. */
  readonly groupOf?: ((operation: OperationDescriptor) => string) | undefined;
  /** Where circuits live. Default: the client's shared store, else this client's memory. */
  readonly store?: BreakerStore | undefined;
}

export function defaultGroupOf(operation: OperationDescriptor): string {
  return operation.tags[0] ?? operation.path.split("/").find((s) => s.length > 0 && !s.startsWith("{")) ?? "/";
}

export function breakerPolicy(provider: string, options: BreakerOptions, clock: Clock): Policy {
  const rules: BreakerRules = {
    failureRatio: options.failureRatio ?? 0.5,
    minimumThroughput: options.minimumThroughput ?? 10,
    windowMs: options.windowMs ?? 10_000,
    openMs: options.openMs ?? 5_000,
    probeLeaseMs: options.probeLeaseMs ?? 60_000,
  };
  const groupOf = options.groupOf ?? defaultGroupOf;
  const store = options.store ?? new MemoryBreakerStore();

  // The default grouping depends on the operation alone: its group's name is built once per operation.
  const defaultGroups = options.groupOf === undefined ? new WeakMap<OperationDescriptor, string>() : undefined;
  const groupName = (operation: OperationDescriptor): string => {
    let group = defaultGroups?.get(operation);
    if (group === undefined) {
      group = `${provider}:${groupOf(operation)}`;
      defaultGroups?.set(operation, group);
    }
    return group;
  };

  // The note a call's result carries is one of three per group: made once each, not per call.
  const notes = new Map<string, Record<BreakerState, Omit<Notes, "attempts">>>();
  const noteOf = (group: string, state: BreakerState): Omit<Notes, "attempts"> => {
    let forGroup = notes.get(group);
    if (forGroup === undefined) {
      const of = (s: BreakerState) => Object.freeze({ breaker: Object.freeze({ group, state: s }) });
      notes.set(group, (forGroup = { closed: of("closed"), open: of("open"), "half-open": of("half-open") }));
    }
    return forGroup[state];
  };

  const refused = (plan: AttemptPlan, group: string, state: BreakerState, retryAt: number): AttemptResult =>
    refusal(plan, new CircuitOpenError(group, retryAt), { attempts: [], breaker: { group, state } });

  return (next) => async (plan) => {
    const { call } = plan;
    const group = groupName(call.operation);
    const now = clock.now();

    let probe: string | undefined;
    // The memory store answers at once: no await (and no turn of the event loop) for it.
    const viewing = store.state(group, now);
    const view = isThenable(viewing) ? await viewing : viewing;
    if (view.state === "open" && now - view.openedAt < rules.openMs) return refused(plan, group, "open", view.openedAt + rules.openMs);
    if (view.state !== "closed") {
      // Open long enough, or half-open: one caller in the fleet gets to probe.
      const id = randomId();
      const answer = await store.tryProbe(group, id, now, rules);
      announce(call, group, answer);
      if (answer.granted) probe = id;
      else if (answer.state === "open") return refused(plan, group, "open", answer.openedAt + rules.openMs);
      else if (answer.state === "half-open") return refused(plan, group, "half-open", now + rules.openMs);
      // Closed meanwhile (another instance's probe succeeded, or a store fell back): an ordinary call.
    }

    let result: AttemptResult;
    try {
      result = await next(plan);
    } catch (error) {
      // Nothing below throws for a failure; if something did, the probe told us nothing.
      if (probe !== undefined) announce(call, group, await store.record(group, "unknown", clock.now(), rules, probe));
      throw error;
    }
    const outcome = outcomeOf(result);
    if (outcome === "unknown" && probe === undefined) return noted(result, noteOf(group, view.state));
    const recording = store.record(group, outcome, clock.now(), rules, probe);
    const after = isThenable(recording) ? await recording : recording;
    announce(call, group, after);
    return noted(result, noteOf(group, after.state));
  };
}

/** A transition, as the step that made it reports it. */
function announce(call: Call, group: string, change: CircuitChange): void {
  if (change.from !== change.state && call.observed) call.emit({ type: "breaker", group, from: change.from, to: change.state });
}

/**
 * Whether an attempt counts against the provider: unknown when it says nothing about
 * its health (nothing was sent; a 429 is the provider pacing us, not failing).
 */
function outcomeOf(result: AttemptResult): BreakerOutcome {
  if (result.notes.attempts.length === 0) return "unknown";
  const { outcome } = result.verdict;
  const status = result.exchange?.response.status;
  if (status === undefined) return outcome === "retryable" || outcome === "unknown-outcome" ? "failure" : "success";
  if (status === 429) return "unknown";
  // Other 4xx mean the provider is up.
  return outcome === "retryable" || (outcome === "throttled" && status === 503) || status >= 500 ? "failure" : "success";
}
