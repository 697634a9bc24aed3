/**
 * Circuit breaker per provider and endpoint group. It opens when the
 * failure ratio over a window passes a threshold with enough traffic to judge, lets one
 * probe through after `openMs`, and closes when the probe succeeds. A 429 is pacing,
 * not a failure; a 4xx means the server is up. While open, calls fail at once with
 * CircuitOpenError (the cache policy may answer them with stale data).
 */
import { noted, refusal, type AttemptResult, type Policy } from "../core/attempt.js";
import type { Call } from "../core/call.js";
import type { Clock } from "../core/clock.js";
import { CircuitOpenError } from "../core/errors.js";
import type { OperationDescriptor } from "../core/operation.js";
import { MemoryBreakerStore, type BreakerRecord, type BreakerStore } from "../stores/breaker-store.js";

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Failures / (failures + successes) at which the circuit opens. Default 0.5. */
  readonly failureRatio?: number;
  /** Outcomes in the window before the ratio counts. Default 10. */
  readonly minimumThroughput?: number;
  readonly windowMs?: number;
  /** Time open before a probe is let through. Default 5 s. */
  readonly openMs?: number;
  /** Endpoint group of an operation. Default: its first tag, else the first path segment. */
  readonly groupOf?: (operation: OperationDescriptor) => string;
  readonly store?: BreakerStore;
}

export function defaultGroupOf(operation: OperationDescriptor): string {
  return operation.tags[0] ?? operation.path.split("/").find((s) => s.length > 0 && !s.startsWith("{")) ?? "/";
}

export function breakerPolicy(provider: string, options: BreakerOptions, clock: Clock): Policy {
  const failureRatio = options.failureRatio ?? 0.5;
  const minimumThroughput = options.minimumThroughput ?? 10;
  const windowMs = options.windowMs ?? 10_000;
  const openMs = options.openMs ?? 5_000;
  const groupOf = options.groupOf ?? defaultGroupOf;
  const store = options.store ?? new MemoryBreakerStore();

  const load = (group: string): BreakerRecord => {
    let record = store.get(group);
    if (!record) store.set(group, (record = { state: "closed", openedAt: 0, slices: [], probeInFlight: false }));
    return record;
  };

  const sliceMs = Math.max(1, windowMs / 10);
  /** Counts one outcome and drops the slices that have left the window. */
  const recordOutcome = (record: BreakerRecord, at: number, failed: boolean) => {
    const start = Math.floor(at / sliceMs) * sliceMs;
    let last = record.slices[record.slices.length - 1];
    if (!last || last[0] !== start) record.slices.push((last = [start, 0, 0]));
    if (failed) last[1]++;
    else last[2]++;
    while (record.slices.length > 0 && record.slices[0]![0] + sliceMs <= at - windowMs) record.slices.shift();
  };

  // Defined once per policy rather than as a closure per call.
  const transition = (call: Call, group: string, record: BreakerRecord, to: BreakerState) => {
    if (record.state === to) return;
    call.emit({ type: "breaker", group, from: record.state, to });
    record.state = to;
    store.set(group, record);
  };

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

  return (next) => async (plan) => {
    const { call } = plan;
    const group = groupName(call.operation);
    const record = load(group);
    const now = clock.now();

    let probe = false;
    if (record.state === "open") {
      if (now - record.openedAt < openMs || record.probeInFlight) {
        return refusal(plan, new CircuitOpenError(group, record.openedAt + openMs), { attempts: [], breaker: { group, state: "open" } });
      }
      transition(call, group, record, "half-open");
    }
    if (record.state === "half-open") {
      if (record.probeInFlight) return refusal(plan, new CircuitOpenError(group, now + openMs), { attempts: [], breaker: { group, state: "half-open" } });
      record.probeInFlight = true;
      probe = true;
    }

    let result: AttemptResult;
    try {
      result = await next(plan);
    } catch (error) {
      // Nothing below throws for a failure; if something did, the probe told us nothing.
      if (probe) settle(call, group, record, undefined, probe);
      throw error;
    }
    settle(call, group, record, failureOf(result), probe);
    return noted(result, { breaker: { group, state: record.state } });
  };

  /** Counts an attempt's outcome and moves the circuit as it says. */
  function settle(call: Call, group: string, record: BreakerRecord, failed: boolean | undefined, probe: boolean): void {
    const at = clock.now();
    if (probe) record.probeInFlight = false;
    if (failed !== undefined) {
      recordOutcome(record, at, failed);
      if (probe) {
        if (failed) {
          record.openedAt = at;
          transition(call, group, record, "open");
        } else {
          record.slices = [];
          transition(call, group, record, "closed");
        }
      } else if (record.state === "closed" && failingTooOften(record)) {
        record.openedAt = at;
        transition(call, group, record, "open");
      }
    } else if (probe) {
      // The probe told us nothing (a 429, an abort): let the next call probe.
      transition(call, group, record, "open");
      record.openedAt = at - openMs;
    }
    store.set(group, record);
  }

  function failingTooOften(record: BreakerRecord): boolean {
    let failures = 0;
    let total = 0;
    for (const [, f, ok] of record.slices) {
      failures += f;
      total += f + ok;
    }
    return total >= minimumThroughput && failures / total >= failureRatio;
  }
}

/**
 * Whether an attempt counts against the provider: undefined when it says nothing about
 * its health (nothing was sent; a 429 is the provider pacing us, not failing).
 */
function failureOf(result: AttemptResult): boolean | undefined {
  if (result.notes.attempts.length === 0) return undefined;
  const { outcome } = result.verdict;
  const status = result.exchange?.response.status;
  if (status === undefined) return outcome === "retryable" || outcome === "unknown-outcome";
  if (status === 429) return undefined;
  // Other 4xx mean the provider is up.
  return outcome === "retryable" || (outcome === "throttled" && status === 503) || status >= 500;
}
