/**
 * OpenTelemetry recorded in memory for the observe tests: spans through a simple processor
 * into an in-memory exporter, metrics through a reader the test collects by hand.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader, type DataPoint } from "@opentelemetry/sdk-metrics";

/** A reader that exports nothing on its own: the test calls `collect()`. */
class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Recorded {
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  /** Spans ended so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** Data points of one instrument, as collected now (empty when it recorded nothing). */
  points(name: string): Promise<Array<DataPoint<unknown>>>;
  /** Everything collected, as JSON (to search for what must never be recorded). */
  metricsJson(): Promise<string>;
  shutdown(): Promise<void>;
}

export function recordInMemory(): Recorded {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const collected = async () => (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    async points(name) {
      const metric = (await collected()).find((m) => m.descriptor.name === name);
      return (metric?.dataPoints ?? []) as Array<DataPoint<unknown>>;
    },
    metricsJson: async () => JSON.stringify(await collected()),
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** A span as JSON: its name, attributes and events with theirs (to search for what must never be recorded). */
export function spanJson(span: ReadableSpan): string {
  return JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })), status: span.status });
}

/** How many a point counts: its records for a histogram, its value for a counter. */
export function valueOf(point: DataPoint<unknown>): number {
  const value = point.value as number | { sum?: number; count: number };
  return typeof value === "number" ? value : value.count;
}

/** The sum over the points whose attributes include `where`. */
export function total(points: Array<DataPoint<unknown>>, where: Record<string, string | number> = {}): number {
  return points.filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v)).reduce((sum, p) => sum + valueOf(p), 0);
}
