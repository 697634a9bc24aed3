/**
 * Outbox gauges for OpenTelemetry: `carewire.outbox.depth` (intents not yet delivered) and
 * `carewire.outbox.dead_letters`, read from `outbox.status()` when the app's metric reader
 * collects (one status read per collection, bounded in time). Counts only: no intent,
 * payload or tenant.
 */
import type { OutboxCounts } from "../../outbox/outbox-store.js";
import { loadOpenTelemetryOnce, type OpenTelemetryApi, type OtelAttributes, type OtelMeter, type OtelMeterProvider, type OtelObservable } from "./open-telemetry.js";

/** The batch-callback part of a meter (one read of the outbox feeds both gauges). */
interface BatchMeter extends OtelMeter {
  addBatchObservableCallback(callback: BatchCallback, observables: OtelObservable[]): void;
  removeBatchObservableCallback(callback: BatchCallback, observables: OtelObservable[]): void;
}
type BatchCallback = (result: { observe(observable: OtelObservable, value: number, attributes?: OtelAttributes): void }) => Promise<void>;

export interface ObserveOutboxOptions {
  /** `@opentelemetry/api`, where carewire cannot load it (bundles); default: loaded on Node. */
  readonly api?: OpenTelemetryApi;
  /** Default: the globally registered meter provider (register it before calling). */
  readonly meterProvider?: OtelMeterProvider;
  /** Labels the gauges `carewire.outbox.name`, for an app with several outboxes. */
  readonly name?: string;
  /** Longest a collection waits for `status()`; a slower read reports nothing that time. Default 5 000 ms. */
  readonly timeoutMs?: number;
}

export interface OutboxObservation {
  /** False when there was nothing to report to (no api, or a no-op meter provider). */
  readonly active: boolean;
  /** Stops reporting. */
  stop(): void;
}

const INACTIVE: OutboxObservation = Object.freeze({ active: false, stop: () => undefined });

export function observeOutbox(outbox: { status(): Promise<OutboxCounts> }, options: ObserveOutboxOptions = {}): OutboxObservation {
  const api = options.api ?? loadOpenTelemetryOnce();
  if (api === undefined) return INACTIVE;
  const meter = (options.meterProvider ?? api.metrics.getMeterProvider()).getMeter("carewire");
  if (meter === api.createNoopMeter()) return INACTIVE;
  const batch = meter as BatchMeter;
  const depth = batch.createObservableGauge("carewire.outbox.depth", { unit: "{intent}", description: "Intents recorded and not yet delivered" });
  const dead = batch.createObservableGauge("carewire.outbox.dead_letters", { unit: "{intent}", description: "Intents in the dead letters" });
  const attributes: OtelAttributes = options.name === undefined ? {} : { "carewire.outbox.name": options.name };
  const timeoutMs = options.timeoutMs ?? 5_000;
  const callback: BatchCallback = async (result) => {
    const counts = await withinTime(outbox.status(), timeoutMs);
    if (counts === undefined) return;
    result.observe(depth, counts.pending, attributes);
    result.observe(dead, counts.dead, attributes);
  };
  batch.addBatchObservableCallback(callback, [depth, dead]);
  return { active: true, stop: () => batch.removeBatchObservableCallback(callback, [depth, dead]) };
}

/** The counts, or undefined when the read failed or took longer than allowed (metrics never break the app). */
async function withinTime(read: Promise<OutboxCounts>, timeoutMs: number): Promise<OutboxCounts | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, undefined);
    (timer as { unref?: () => void }).unref?.();
  });
  try {
    return await Promise.race([read.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
