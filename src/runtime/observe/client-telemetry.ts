/**
 * A client's OpenTelemetry wiring: which tracer and meter it records to, and the call
 * observer each call gets. Providers are looked up per call and compared by identity, so a
 * provider the app registers after creating the client is used from its next call on, with
 * no further configuration. When nothing records (no tracer provider sampling the call, no
 * meter provider), a call gets no observer and costs one span start and two look-ups.
 */
import type { OperationDescriptor } from "../core/operation.js";
import { labelsCache, serverAddressOf, type OperationLabels, type ServerAddress } from "./attributes.js";
import { CallObserver } from "./call-observer.js";
import { metricsOf, type CarewireMetrics } from "./client-metrics.js";
import type { ApiSource, OtelMeterProvider, OtelSpan, OtelSpanOptions, OtelTracer, OtelTracerProvider } from "./open-telemetry.js";

/** The api's SpanKind.INTERNAL: the call span. */
const CALL_SPAN: OtelSpanOptions = Object.freeze({ kind: 0 });

export interface ClientTelemetrySettings {
  readonly provider: string;
  readonly baseUrl: string;
  /** Providers to use instead of the global ones. */
  readonly tracerProvider?: OtelTracerProvider | undefined;
  readonly meterProvider?: OtelMeterProvider | undefined;
  /** Whether the client's breaker is on (attempts then pass a closed or probing circuit). */
  readonly breakerOn: boolean;
}

/** The api's no-op spans carry a trace id of zeros. */
const NO_TRACE = "00000000000000000000000000000000";

function isRealTrace(span: OtelSpan): boolean {
  const traceId = span.spanContext?.().traceId;
  return traceId !== undefined && traceId !== NO_TRACE;
}

export class ClientTelemetry {
  readonly server: ServerAddress | undefined;
  private readonly labelsOf: (operation: OperationDescriptor) => OperationLabels;
  private tracerFrom: OtelTracerProvider | undefined;
  private tracer: OtelTracer | undefined;
  private meterFrom: OtelMeterProvider | undefined;
  private metrics: CarewireMetrics | undefined;

  constructor(
    /** The api for a call starting now; undefined while nothing can record (see resolveOpenTelemetry). */
    private readonly apiOf: ApiSource,
    private readonly settings: ClientTelemetrySettings,
  ) {
    this.server = serverAddressOf(settings.baseUrl);
    this.labelsOf = labelsCache(settings.provider, this.server);
  }

  /** The observer of a call starting now, or undefined when nothing would record it (or the providers fail). */
  begin(operation: OperationDescriptor, tenant: string | undefined): CallObserver | undefined {
    try {
      return this.observerOf(operation, tenant);
    } catch {
      // Telemetry must never stop a call.
      return undefined;
    }
  }

  private observerOf(operation: OperationDescriptor, tenant: string | undefined): CallObserver | undefined {
    const api = this.apiOf();
    if (api === undefined) return undefined;
    const { settings } = this;
    const tracerProvider = settings.tracerProvider ?? api.trace.getTracerProvider();
    if (tracerProvider !== this.tracerFrom || this.tracer === undefined) {
      this.tracerFrom = tracerProvider;
      this.tracer = tracerProvider.getTracer("carewire");
    }
    const meterProvider = settings.meterProvider ?? api.metrics.getMeterProvider();
    if (meterProvider !== this.meterFrom) {
      this.meterFrom = meterProvider;
      this.metrics = metricsOf(api, meterProvider);
    }
    const labels = this.labelsOf(operation);
    const parent = api.context.active();
    const span = this.tracer.startSpan(labels.callSpanName, CALL_SPAN, parent);
    const recording = span.isRecording();
    // Dropped by the app's sampler (a real trace id, not recording): still observed, so its request
    // carries its not-sampled context and no other instrumentation records it (see CallObserver.sendingIn).
    const sampledOut = !recording && isRealTrace(span);
    if (!recording && !sampledOut && this.metrics === undefined) return undefined;
    return new CallObserver(api, this.tracer, span, recording, recording ? api.trace.setSpan(parent, span) : parent, labels, this.metrics, tenant, settings.breakerOn, sampledOut);
  }
}
