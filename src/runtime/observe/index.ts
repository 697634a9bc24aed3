/** OpenTelemetry for carewire: the option's types, the call observer, and the outbox gauges. */
export { CallObserver } from "./call-observer.js";
export { observeOutbox, type ObserveOutboxOptions, type OutboxObservation } from "./observe-outbox.js";
export type { CarewireMetrics } from "./client-metrics.js";
export type { TalliedCounter } from "./tallied-counter.js";
export type { OperationLabels } from "./attributes.js";
export type {
  OpenTelemetryApi,
  OpenTelemetryOptions,
  OtelAttributes,
  OtelContext,
  OtelCounter,
  OtelHistogram,
  OtelInstrumentOptions,
  OtelMeter,
  OtelMeterProvider,
  OtelObservable,
  OtelObservableResult,
  OtelSpan,
  OtelSpanOptions,
  OtelTracer,
  OtelTracerProvider,
} from "./open-telemetry.js";
