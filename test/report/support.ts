/** Events and bucketed aggregates for the report's tests, built by hand with round numbers. */
import type { OutboxEvent, TelemetryEvent } from "carewire";
import type { Aggregate, Gauge } from "../../src/report/aggregate.js";

type CallEvent = TelemetryEvent extends infer E ? (E extends TelemetryEvent ? Omit<E, "provider" | "operationId" | "requestId" | "time"> : never) : never;

/** A call's event at `time` (ms), with the call fields filled in. */
export function callEvent(time: number, event: CallEvent): TelemetryEvent {
  return { provider: "clinic", operationId: "createPatient", requestId: "r-1", time, ...event } as TelemetryEvent;
}

export function outboxEvent(time: number, pending: number, dead: number): OutboxEvent {
  return { type: "outbox", worker: "w1", disposition: "committed", pending, due: pending, leased: 0, dead, time };
}

/** An aggregate of `n` one-second buckets from 0 with nothing in them, `parts` laid over it. */
export function buckets(n: number, parts: Partial<Aggregate> = {}): Aggregate {
  const zeros = () => new Array<number>(n).fill(0);
  const empty = (): Gauge => new Array<number | null>(n).fill(null);
  return {
    start: 0,
    bucketMs: 1_000,
    times: Array.from({ length: n }, (_, i) => i * 1_000),
    events: 0,
    quota: [],
    attempts: zeros(),
    throttled: zeros(),
    retries: zeros(),
    quotaWaitMs: zeros(),
    backoffMs: zeros(),
    breakers: [],
    tenants: [],
    latency: { p50: empty(), p95: empty(), p99: empty() },
    cache: { hits: zeros(), stale: zeros(), staleAgeMs: empty() },
    ...parts,
  };
}

/** `n` values, `value` at the given indexes and `otherwise` elsewhere. */
export function at<T>(n: number, indexes: Readonly<Record<number, T>>, otherwise: T): T[] {
  return Array.from({ length: n }, (_, i) => (Object.hasOwn(indexes, i) ? indexes[i]! : otherwise));
}
