/**
 * One call as OpenTelemetry sees it: the call span (kind INTERNAL, a child of the app's
 * active span), the events the call's policies emit (waits, retries, breaker changes,
 * cache and token results) as span events and metrics, and the call's end. Made at call
 * start only when something records, and reached by the attempt-span policy through the
 * call. It belongs to its call alone: nothing in it is shared with another call.
 */
import type { AttemptResult } from "../core/attempt.js";
import type { CarewireError } from "../core/errors.js";
import type { CarewireEvent } from "../core/telemetry.js";
import { BREAKER_STATE, CACHE_RESULT, ERROR_TYPE, errorTypeOf, OUTCOME, type OperationLabels, STATUS_CODE, statusClassOf, TENANT } from "./attributes.js";
import type { CarewireMetrics } from "./client-metrics.js";
import type { OpenTelemetryApi, OtelContext, OtelSpan, OtelTracer } from "./open-telemetry.js";

/** The api's SpanStatusCode.ERROR. */
const SPAN_STATUS_ERROR = 2;

/** A span's failure: its `error.type` and an ERROR status. */
export function spanFailed(span: OtelSpan, errorType: string): void {
  span.setAttribute(ERROR_TYPE, errorType);
  span.setStatus({ code: SPAN_STATUS_ERROR });
}

/**
 * The context key OpenTelemetry's SDK and instrumentations read as "tracing suppressed"
 * (`suppressTracing` of @opentelemetry/core sets it). The api makes context keys with
 * `Symbol.for`, so this is the same key whichever copy of the packages the app loaded.
 */
const SUPPRESS_TRACING = Symbol.for("OpenTelemetry SDK Context Key SUPPRESS_TRACING");

export class CallObserver {
  /** How long pacing held the attempt about to start, in ms: set by its wait event, taken by that attempt's span. */
  private quotaWaitMs: number | undefined;
  /** The context the attempt in flight sends its request in (see `sendingIn`); a call's attempts run one at a time. */
  private wire: OtelContext | undefined;
  /** The breaker state this call last saw change; before any change, closed when the breaker is on. */
  private breaker: string | undefined;

  constructor(
    readonly api: OpenTelemetryApi,
    /** The tracer attempt spans start from (the call span's). */
    readonly tracer: OtelTracer,
    /** The call span; it records when `recording` (else only metrics are kept). */
    readonly span: OtelSpan,
    readonly recording: boolean,
    /** The context attempt spans start in: the app's, with the call span in it. */
    readonly context: OtelContext,
    readonly labels: OperationLabels,
    readonly metrics: CarewireMetrics | undefined,
    readonly tenant: string | undefined,
    breakerOn: boolean,
    /** The call span records nothing because the app's sampler dropped it (not because nothing is registered). */
    readonly sampledOut = false,
  ) {
    this.breaker = breakerOn ? "closed" : undefined;
    if (recording) {
      span.setAttributes(labels.ids);
      if (tenant !== undefined) span.setAttribute(TENANT, tenant);
    }
  }

  /** The wait pacing reported for the attempt now starting (once: a later attempt waits anew). */
  takeQuotaWait(): number | undefined {
    const waited = this.quotaWaitMs;
    this.quotaWaitMs = undefined;
    return waited;
  }

  get breakerState(): string | undefined {
    return this.breaker;
  }

  /**
   * The request of the attempt now starting goes out in `traced` (its CLIENT span active, or the
   * call's span when sampled out) with tracing suppressed: the attempt span is already the
   * request's CLIENT span, and an HTTP instrumentation of the app's (undici's, which sees every
   * `fetch`) would otherwise record a second one, in a trace of its own with the full URL, and
   * add a second `traceparent`, which makes the header invalid for the server. Only the fetch
   * runs there (see `onWire`): the app's event sinks and classifiers keep the app's context.
   * `undefined` clears it once the attempt is over.
   */
  sendingIn(traced: OtelContext | undefined): void {
    this.wire = traced?.setValue === undefined || this.api.context.with === undefined ? undefined : traced.setValue(SUPPRESS_TRACING, true);
  }

  /** Sends the request in the attempt's wire context; a context manager that fails or skips `send` never stops it. */
  onWire<T>(send: () => T): T {
    const { wire } = this;
    const { context } = this.api;
    if (wire === undefined || context.with === undefined) return send();
    let ran = false;
    try {
      const sent = context.with<T>(wire, () => {
        ran = true;
        return send();
      });
      if (ran) return sent;
    } catch (error) {
      if (ran) throw error;
    }
    return send();
  }

  /** An event of the call (from `call.emit`). Event types this version does not know are ignored. */
  onEvent(event: CarewireEvent): void {
    try {
      this.record(event);
    } catch {
      // Telemetry must never break a call (a provider of the app's that throws, say).
    }
  }

  /** The call ended: its outcome on the span and in the counters. */
  end(result: AttemptResult, response: Response | undefined, error: CarewireError | undefined): void {
    try {
      this.finish(result, response, error);
    } catch {
      // As above: the call's result stands whatever the providers do.
    }
  }

  private record(event: CarewireEvent): void {
    const { span, recording, metrics, labels } = this;
    switch (event.type) {
      case "rate-limit-wait":
        this.quotaWaitMs = (this.quotaWaitMs ?? 0) + event.waitMs;
        if (recording) span.addEvent("carewire.quota.wait", { "carewire.quota.wait_ms": event.waitMs, "carewire.quota.reason": event.reason });
        metrics?.quotaWait.record(event.waitMs / 1000, labels.ids);
        break;
      case "retry":
        if (recording) span.addEvent("carewire.retry", { "carewire.attempt": event.attempt, "carewire.retry.delay_ms": event.delayMs, [OUTCOME]: event.outcome });
        metrics?.retries.add(`${labels.id}\u0000${event.outcome}`, () => labels.with(OUTCOME, event.outcome));
        break;
      case "give-up":
        if (recording) span.addEvent("carewire.give_up", { "carewire.attempt": event.attempt, [OUTCOME]: event.outcome });
        break;
      case "throttled":
        if (recording) span.addEvent("carewire.throttled", { "carewire.retry_at": new Date(event.retryAt).toISOString() });
        break;
      case "breaker":
        this.breaker = event.to;
        if (recording) span.addEvent("carewire.breaker", { "carewire.breaker.group": event.group, "carewire.breaker.from": event.from, "carewire.breaker.to": event.to });
        metrics?.breakerChanged(event.group, event.to);
        break;
      case "cache":
        if (recording) span.addEvent("carewire.cache", { [CACHE_RESULT]: event.result });
        metrics?.cache.add(`${labels.id}\u0000${event.result}`, () => labels.with(CACHE_RESULT, event.result));
        break;
      case "token":
        // What happened to the token, never the token.
        if (recording) span.addEvent("carewire.token", { "carewire.token.action": event.action });
        break;
      case "quota-store":
        if (recording) span.addEvent("carewire.quota.store", { "carewire.quota.store.state": event.state });
        break;
      default:
        // Attempts have spans of their own; event types added later are not recorded here.
        break;
    }
  }

  private finish(result: AttemptResult, response: Response | undefined, error: CarewireError | undefined): void {
    const status = response?.status;
    const outcome = result.verdict.outcome;
    if (this.recording) {
      const { span } = this;
      span.setAttribute(OUTCOME, outcome);
      span.setAttribute("carewire.attempts", result.notes.attempts.length);
      if (status !== undefined) span.setAttribute(STATUS_CODE, status);
      if (result.notes.breaker !== undefined) span.setAttribute(BREAKER_STATE, result.notes.breaker.state);
      const errorType = errorTypeOf(status, error?.kind);
      if (errorType !== undefined) spanFailed(span, errorType);
      span.end();
    }
    const { metrics } = this;
    if (metrics !== undefined) {
      const { labels, tenant } = this;
      const statusClass = statusClassOf(status);
      metrics.calls.add(`${labels.id}\u0000${outcome}\u0000${statusClass}`, () => labels.forCall(outcome, statusClass));
      if (tenant !== undefined) metrics.tenantCalls.add(`${labels.provider}\u0000${tenant}`, () => labels.forTenant(tenant));
    }
  }
}
