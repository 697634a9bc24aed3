/**
 * One CLIENT span per physical attempt, following OpenTelemetry's HTTP client conventions:
 * named `<METHOD> <url.template>`, a child of the call span, `http.request.resend_count` on
 * every attempt after the first, `error.type` and an ERROR status on a failure. The span's
 * context goes out in the request headers through the app's propagator (none is a no-op).
 * The policy sits innermost, just above the wire, so pacing's wait for this attempt is
 * already known and every re-send (a retry, a re-send after a token refresh) gets its own
 * span. Requests to a token endpoint are not calls and get no span. The request itself goes
 * out with the attempt span active and tracing suppressed, so an HTTP instrumentation of the
 * app's adds no span or `traceparent` of its own to it (see `CallObserver.sendingIn`).
 *
 * `url.full` and `url.query` are left out on purpose: a filled path holds resource ids and a
 * query holds search terms, both PHI; `url.template` says which endpoint it was.
 */
import type { AttemptPlan, AttemptResult, Policy, Send } from "../core/attempt.js";
import { randomId } from "../portable/random-id.js";
import { sha256Hex } from "../portable/sha256.js";
import { BREAKER_STATE, errorTypeOf, IDEMPOTENCY_KEY_HASH, OUTCOME, QUOTA_WAIT_MS, RESEND_COUNT, STATUS_CODE, TENANT } from "./attributes.js";
import { spanFailed, type CallObserver } from "./call-observer.js";
import { contextManagerRegistered, type OtelContext, type OtelSpan, type OtelSpanOptions } from "./open-telemetry.js";

/** The api's SpanKind.CLIENT. */
const ATTEMPT_SPAN: OtelSpanOptions = Object.freeze({ kind: 2 });

/** Hex digits of the idempotency key's hash kept: enough to tell calls apart, too few to matter. */
const KEY_HASH_LENGTH = 16;

/**
 * A key derived from a business key is a hash of provider, operation and that key (an MRN,
 * say): hashed as it is, anyone reading traces could hash guessed MRNs and compare. Salted
 * with a secret of this process, the hash still ties a call's attempts together and gives
 * nothing away.
 */
const KEY_SALT = randomId();

// An attempt of a call nothing records passes straight through: no async frame of its own.
export const attemptSpanPolicy: Policy = (next) => (plan) => (plan.call.observer === undefined ? next(plan) : traced(next, plan, plan.call.observer));

async function traced(next: Send, plan: AttemptPlan, observer: CallObserver): Promise<AttemptResult> {
  const quotaWaitMs = observer.takeQuotaWait();
  let span: OtelSpan | undefined;
  let sent = plan;
  try {
    span = observer.recording ? startAttemptSpan(observer, plan, quotaWaitMs) : undefined;
    // A call the sampler dropped still sends its (not-sampled) context, and still keeps other instrumentation off its request.
    const carried = span ?? (observer.sampledOut ? observer.span : undefined);
    // Its context is built only for someone to read: a propagator's headers, or (through a
    // context manager) instrumentation of the app's that must leave this request alone.
    const propagating = carried !== undefined && observer.api.propagation.fields().length > 0;
    const travels = carried !== undefined && contextManagerRegistered();
    if (propagating || travels) {
      const inSpan = observer.api.trace.setSpan(observer.context, carried!);
      if (propagating) sent = withTraceContext(observer, plan, inSpan);
      if (travels) observer.sendingIn(inSpan);
    }
  } catch {
    // Telemetry must never stop an attempt (a provider or propagator of the app's that throws).
  }
  let result: AttemptResult;
  try {
    result = await next(sent);
  } catch (error) {
    // Nothing below the policy throws for a failure; if something does, the span still ends
    // (and a span that throws too does not replace the error).
    try {
      if (span !== undefined) spanFailed(span, "unexpected");
      span?.end();
    } catch {
      // The error below stands.
    }
    throw error;
  } finally {
    observer.sendingIn(undefined);
  }
  try {
    endAttempt(observer, span, result);
  } catch {
    // As above: the attempt's result stands whatever the providers do.
  }
  return result;
};

function startAttemptSpan(observer: CallObserver, plan: AttemptPlan, quotaWaitMs: number | undefined): OtelSpan {
  const span = observer.tracer.startSpan(observer.labels.attemptSpanName, ATTEMPT_SPAN, observer.context);
  // A sampled-out span gets no attributes built.
  if (!span.isRecording()) return span;
  span.setAttributes(observer.labels.attempt);
  if (observer.tenant !== undefined) span.setAttribute(TENANT, observer.tenant);
  if (plan.attempt > 1) span.setAttribute(RESEND_COUNT, plan.attempt - 1);
  if (plan.idempotencyKey !== undefined) span.setAttribute(IDEMPOTENCY_KEY_HASH, sha256Hex(`${KEY_SALT}\n${plan.idempotencyKey}`).slice(0, KEY_HASH_LENGTH));
  if (quotaWaitMs !== undefined) span.setAttribute(QUOTA_WAIT_MS, quotaWaitMs);
  const breaker = observer.breakerState;
  if (breaker !== undefined) span.setAttribute(BREAKER_STATE, breaker);
  return span;
}

/** The plan with the attempt span's context in its headers (`traceparent`, …), through the app's propagator. */
function withTraceContext(observer: CallObserver, plan: AttemptPlan, inSpan: OtelContext): AttemptPlan {
  const { api } = observer;
  const carrier: Record<string, string> = {};
  api.propagation.inject(inSpan, carrier);
  return Object.keys(carrier).length === 0 ? plan : { ...plan, headers: { ...plan.headers, ...carrier } };
}

/** The attempt's result on its span and in the request metrics. */
function endAttempt(observer: CallObserver, span: OtelSpan | undefined, result: AttemptResult): void {
  // The wire's record of the attempt; none when the request could not even be built.
  const sent = result.notes.attempts[0];
  const status = sent?.status;
  const errorType = errorTypeOf(status, sent?.errorKind ?? result.error?.kind);
  if (span !== undefined && span.isRecording()) {
    if (status !== undefined) span.setAttribute(STATUS_CODE, status);
    span.setAttribute(OUTCOME, result.verdict.outcome);
    if (errorType !== undefined) spanFailed(span, errorType);
  }
  span?.end();
  const { metrics, labels } = observer;
  if (metrics === undefined || sent === undefined) return;
  metrics.requestDuration.record(sent.durationMs / 1000, labels.forDuration(status, errorType));
  if (status === 429) metrics.rateLimited.add(labels.id, labels.ids);
}
