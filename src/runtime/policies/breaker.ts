/**
 * Circuit breaker per provider and endpoint group. It opens when the
 * failure ratio over a window passes a threshold with enough traffic to judge, lets one
 * probe through after `openMs`, and closes when the probe succeeds. A 429 is pacing,
 * not a failure; a 4xx means the server is up. While open, calls fail at once with
 * CircuitOpenError (the cache policy may answer them with stale data).
 */
import { classify } from "../core/classify.js";
import type { Clock } from "../core/clock.js";
import { CircuitOpenError } from "../core/errors.js";
import type { OperationDescriptor } from "../core/operation.js";
import type { CallContext, Next, Policy } from "../core/policy.js";
import type { Exchange } from "../wire/transport.js";

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

export interface BreakerRecord {
  state: BreakerState;
  openedAt: number;
  /**
   * Outcomes in the window as counts per tenth of it, [slice start (epoch ms), failures,
   * successes]: constant work per call however busy the client is.
   */
  slices: Array<[number, number, number]>;
  probeInFlight: boolean;
}

/** Where breaker state lives (in memory by default; shareable across instances). */
export interface BreakerStore {
  get(group: string): BreakerRecord | undefined;
  set(group: string, record: BreakerRecord): void;
}

export class MemoryBreakerStore implements BreakerStore {
  private readonly records = new Map<string, BreakerRecord>();
  get(group: string) {
    return this.records.get(group);
  }
  set(group: string, record: BreakerRecord) {
    this.records.set(group, record);
  }
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
  const transition = (context: CallContext, group: string, record: BreakerRecord, to: BreakerState) => {
    if (record.state === to) return;
    context.emit({ type: "breaker", group, from: record.state, to });
    record.state = to;
    store.set(group, record);
  };

  return {
    name: "breaker",
    async execute(context: CallContext, next: Next): Promise<Exchange> {
      const group = `${provider}:${groupOf(context.operation)}`;
      const record = load(group);
      const now = clock.now();

      let probe = false;
      if (record.state === "open") {
        if (now - record.openedAt < openMs || record.probeInFlight) {
          context.extraMeta.breaker = { group, state: "open" };
          throw new CircuitOpenError(group, record.openedAt + openMs);
        }
        transition(context, group, record, "half-open");
      }
      if (record.state === "half-open") {
        if (record.probeInFlight) {
          context.extraMeta.breaker = { group, state: "half-open" };
          throw new CircuitOpenError(group, now + openMs);
        }
        record.probeInFlight = true;
        probe = true;
      }

      let failed: boolean | undefined;
      try {
        const exchange = await next();
        const outcome = classify({ exchange, safety: context.operation.safety }).outcome;
        // 429 is the provider pacing us, not failing; 4xx other than that mean it is up.
        failed = exchange.response.status === 429 ? undefined : outcome === "retryable" || (outcome === "throttled" && exchange.response.status === 503) || exchange.response.status >= 500;
        return exchange;
      } catch (error) {
        const outcome = classify({ error, safety: context.operation.safety }).outcome;
        failed = outcome === "retryable" || outcome === "unknown-outcome";
        throw error;
      } finally {
        const at = clock.now();
        if (probe) record.probeInFlight = false;
        if (failed !== undefined) {
          recordOutcome(record, at, failed);
          if (probe) {
            if (failed) {
              record.openedAt = at;
              transition(context, group, record, "open");
            } else {
              record.slices = [];
              transition(context, group, record, "closed");
            }
          } else if (record.state === "closed") {
            let failures = 0;
            let total = 0;
            for (const [, f, ok] of record.slices) {
              failures += f;
              total += f + ok;
            }
            if (total >= minimumThroughput && failures / total >= failureRatio) {
              record.openedAt = at;
              transition(context, group, record, "open");
            }
          }
        } else if (probe) {
          // The probe told us nothing (a 429, an abort): let the next call probe.
          transition(context, group, record, "open");
          record.openedAt = at - openMs;
        }
        store.set(group, record);
        context.extraMeta.breaker = { group, state: record.state };
      }
    },
  };
}
