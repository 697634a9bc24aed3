/**
 * The innermost Send: one attempt on the wire. It builds the request from the plan,
 * sends it within its time and size bounds, parses a JSON body once, classifies the
 * result with the call's classifier, reads the server's hints and records the attempt
 * for `meta` and telemetry. Every policy above sees the same verdict.
 */
import { classify } from "./classify.js";
import { isoTime } from "./clock.js";
import { asCarewireError, InvalidRequestError, MalformedResponseError, type CarewireError } from "./errors.js";
import { NO_HINTS, refusal, type AttemptPlan, type AttemptResult, type Send } from "./attempt.js";
import type { AttemptRecord } from "./meta.js";
import { nameOperation } from "./name-operation.js";
import { isJsonBody, parseJsonBody } from "../wire/read-body.js";
import { otherScheme, sendsAsIs } from "../wire/base-url.js";
import { buildOutgoing, buildRequest, cannotBuild, type RequestParts } from "../wire/request.js";
import { readServerHints } from "../wire/server-hints.js";
import { withJson } from "../wire/sent-exchange.js";
import { sendAttempt, type Exchange, type FetchLike } from "../wire/transport.js";

export interface WireSettings {
  readonly baseUrl: string;
  /** The caller's fetch; undefined for the platform's own. */
  readonly fetch: FetchLike | undefined;
  /** Query parameters every request carries (an API key the spec puts in the query). */
  readonly query: Readonly<Record<string, string>> | undefined;
  /** Client-wide headers, under the operation's own header parameters. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Header that carries the call's correlation id, or null for none. */
  readonly correlationHeader: string | null;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
}

export function sendOnWire(settings: WireSettings): Send {
  // Checked once per client, not per call.
  const badBaseUrl = otherScheme(settings.baseUrl);
  // The platform's fetch is handed a URL and init rather than a Request it would copy.
  const asIs = settings.fetch === undefined && sendsAsIs(settings.baseUrl);
  return async (plan: AttemptPlan): Promise<AttemptResult> => {
    const { call } = plan;
    const { operation, options, clock, observer } = call;
    if (badBaseUrl !== undefined) return refusal(plan, cannotBuild(operation, badBaseUrl));
    const startedMs = performance.now();
    const now = clock.now();
    const startedAt = isoTime(now);
    // The overall deadline bounds each attempt too.
    const remaining = call.deadline === undefined ? Infinity : call.deadline - now;
    const correlation = settings.correlationHeader ? { [settings.correlationHeader]: call.requestId } : undefined;
    let exchange: Exchange | undefined;
    let error: CarewireError | undefined;
    const parts: RequestParts = { baseUrl: settings.baseUrl, operation, input: call.input, target: call.target, defaultHeaders: [settings.headers, correlation], overrideHeaders: [options.headers, plan.headers], clientQuery: settings.query };
    // A path that does not start with `/` could run into the base URL's host: a Request's refusal names it.
    const outgoing = asIs && startsWithSlash(call.target.path);
    try {
      exchange = await sendAttempt(
        () => (outgoing ? buildOutgoing(parts) : buildRequest(parts)),
        {
          fetch: settings.fetch,
          inContext: observer === undefined ? undefined : (send) => observer.onWire(send),
          timeoutMs: Math.max(1, Math.min(options.timeoutMs ?? settings.timeoutMs, remaining)),
          signal: call.signal,
          stream: options.stream === true,
          maxBytes: options.maxResponseBytes ?? settings.maxResponseBytes,
          maxRedirects: settings.maxRedirects,
          clock,
        },
      );
    } catch (caught) {
      // A request that could not be built was never an attempt.
      if (caught instanceof InvalidRequestError) return refusal(plan, caught);
      error = asCarewireError(caught);
      // A network failure, a timeout or a limit says which call it ended, as an error status does.
      if (NAMED_KINDS.has(error.kind)) nameOperation(error, operation);
    }
    if (exchange !== undefined && !exchange.streamed && operation.method !== "head" && isJsonBody(exchange)) {
      try {
        exchange = withJson(exchange, parseJsonBody(exchange));
      } catch (malformed) {
        // A success whose JSON is cut short fails the attempt (policies may retry it); an
        // error status with a broken body is still that error status.
        if (exchange.response.ok) {
          error = malformed as CarewireError;
          exchange = undefined;
        }
      }
    }
    const result = attemptResult(plan, exchange, error, startedAt, performance.now() - startedMs);
    if (call.logged) {
      const { status, errorKind, durationMs } = result.notes.attempts[0]!;
      call.emit({ type: "attempt", attempt: plan.attempt, durationMs, delayMs: plan.delayMs, ...(status !== undefined ? { status } : {}), ...(errorKind !== undefined ? { errorKind } : {}) });
    }
    return result;
  };
}

/**
 * What one sent attempt means: classified with the call's classifier, the server's hints
 * read, and its record for `meta`. The wire makes every result this way (and the policy
 * test harness, so a unit test sees what a policy would see).
 */
export function attemptResult(plan: AttemptPlan, exchange: Exchange | undefined, error: CarewireError | undefined, startedAt: string, durationMs: number): AttemptResult {
  const { call } = plan;
  const status = exchange?.response.status ?? (error instanceof MalformedResponseError ? error.status : undefined);
  const safety = call.operation.safety;
  const verdict = exchange !== undefined ? classify({ exchange, safety }, call.classify) : classify({ error, safety }, call.classify);
  const hints = exchange !== undefined ? readServerHints(exchange.response.headers, call.clock.now()) : NO_HINTS;
  // Assigned field by field in the documented order, with no temporary objects spread in.
  const record = { attempt: plan.attempt, startedAt, durationMs, delayMs: plan.delayMs } as { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] };
  if (status !== undefined) record.status = status;
  if (error !== undefined) record.errorKind = error.kind;
  record.outcome = verdict.outcome;
  record.reason = verdict.reason;
  return { exchange, error, verdict, hints, notes: { attempts: [record] } };
}

/** The wire's failures that say nothing of the call otherwise (a refused redirect names its target instead). */
const NAMED_KINDS: ReadonlySet<string> = new Set(["network", "timeout", "aborted", "limit-exceeded"]);

function startsWithSlash(path: string): boolean {
  return path === "" || path.charCodeAt(0) === 47;
}
