/**
 * The retry policy: reads each attempt's verdict, waits what the server asks
 * (Retry-After, RateLimit reset; never less, a little jitter above) or a jittered backoff,
 * within max attempts, the call's deadline and the provider's retry budget. A write is
 * replayed after a lost answer only when its plan says a replay is safe.
 */
import { annotateLast, joinNotes, type AttemptPlan, type AttemptResult, type Policy, type Send } from "../core/attempt.js";
import { mayFollowCommit, sentWithoutAnswer, type ClassifyOptions } from "../core/classify.js";
import { CarewireError, RateLimitedError, UnknownOutcomeError } from "../core/errors.js";
import { HttpError } from "../core/http-errors.js";
import { definedOf, type Settings } from "../core/settings.js";
import { backoffDelay, DEFAULT_BACKOFF, DEFAULT_RETRY_BUDGET, jitterAbove, RetryBudget, type BackoffOptions, type RetryBudgetOptions } from "./backoff.js";

/** Attempts per call when none is configured, the first included. */
export const DEFAULT_MAX_ATTEMPTS = 4;
/** Longest server-requested wait sat out when none is configured. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 120_000;

export interface RetryOptions {
  /** Attempts per call, the first included. Default 4. */
  readonly maxAttempts?: number | undefined;
  readonly backoff?: Settings<BackoffOptions> | undefined;
  /** Longest server-requested wait carewire sits out; longer ones fail at once with RateLimitedError. Default 120 s. */
  readonly maxRetryAfterMs?: number | undefined;
  readonly budget?: Settings<RetryBudgetOptions> | false | undefined;
  /** How attempts are classified; the same as the client's `classify` (which wins when both are set). */
  readonly classify?: ClassifyOptions | undefined;
  /**
   * Per-operation overrides by operationId: a slow report endpoint may want a longer base
   * and cap, a payment more attempts. Unlisted operations use the settings above.
   */
  readonly perOperation?: Readonly<Record<string, { readonly maxAttempts?: number | undefined; readonly backoff?: Settings<BackoffOptions> | undefined }>> | undefined;
}

/**
 * The least time left before the deadline worth starting another attempt in. An attempt
 * squeezed into less cannot finish a round trip on a busy host, and would end the call
 * with a timeout that hides the answer already in hand (a 429, a 503).
 */
const MIN_ATTEMPT_WINDOW_MS = 25;

export function retryPolicy(options: RetryOptions = {}): Policy {
  const defaults = { maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS), backoff: { ...DEFAULT_BACKOFF, ...definedOf(options.backoff) } };
  // Resolved once per operation, not per call.
  const settings = new Map<string, { maxAttempts: number; backoff: BackoffOptions }>(
    Object.entries(options.perOperation ?? {}).map(([operationId, o]) => [
      operationId,
      { maxAttempts: Math.max(1, o.maxAttempts ?? defaults.maxAttempts), backoff: { ...defaults.backoff, ...definedOf(o.backoff) } },
    ]),
  );
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const budget = options.budget === false ? undefined : new RetryBudget({ ...DEFAULT_RETRY_BUDGET, ...definedOf(options.budget) });

  /** The rest of a call whose first attempt did not succeed: the retry loop, from that answer on. */
  async function retrying(next: Send, plan: AttemptPlan, first: AttemptResult): Promise<AttemptResult> {
    const { call } = plan;
    const { clock } = call;
    const { maxAttempts, backoff } = settings.get(call.operation.operationId) ?? defaults;
    let previousDelay = backoff.baseMs;
    let earlier: AttemptResult["notes"] | undefined;
    // Once one attempt of a write may have been applied, no later answer (a 503, a reset
    // before sending, a wait too long) can say it was not: the call ends as unknown-outcome.
    let mayHaveApplied: CarewireError | undefined;
    /** An attempt of a write that went out and got no answer (a reset, a timeout), idempotent ones included. */
    let lostAnswer: CarewireError | undefined;
    let current: AttemptPlan = plan;
    /** Attempts answered 429: they do not count against maxAttempts. */
    let throttles = 0;
    for (let attempt = 1; ; attempt++) {
      const sent = attempt === 1 ? first : await next(current);
      const result = earlier === undefined ? sent : { ...sent, notes: joinNotes(earlier, sent.notes) };
      if (sent.verdict.outcome === "ok") return result;
      const { verdict, exchange } = sent;
      const status = exchange?.response.status;
      // A layer below may have answered without sending (an open circuit, a refused slot):
      // then there is no new attempt, and the last one keeps its own verdict.
      const wasSent = sent.notes.attempts.length > 0;
      if (verdict.outcome === "unknown-outcome" && sent.error !== undefined) mayHaveApplied ??= sent.error;
      if (wasSent && call.operation.safety !== "safe" && sentWithoutAnswer(sent.error)) lostAnswer ??= sent.error;

      /** The result with what retry decided added to the last attempt's reason (when one was sent). */
      const explained = (why?: string): AttemptResult => (why !== undefined && wasSent ? annotateLast(result, { reason: `${verdict.reason}; ${why}` }) : result);
      const endWith = (error: CarewireError, why?: string): AttemptResult => ({
        ...explained(why),
        exchange: undefined,
        error,
        verdict: mayHaveApplied ? { outcome: "unknown-outcome", reason: verdict.reason } : verdict,
      });
      const unknownUnlessSettled = (failure: CarewireError): CarewireError =>
        mayHaveApplied === undefined ? failure : new UnknownOutcomeError(call.fingerprint(), mayHaveApplied, current.idempotencyKey, status, current.replaySafe);
      const giveUp = (why?: string): AttemptResult => {
        call.emit({ type: "give-up", attempt, outcome: mayHaveApplied ? "unknown-outcome" : verdict.outcome, reason: why ?? verdict.reason });
        return mayHaveApplied ? endWith(unknownUnlessSettled(mayHaveApplied), why) : explained(why);
      };

      // A 429 asks the caller to wait, not to fail: it uses up no attempt while the
      // deadline allows the wait, and a call that gives up on one ends rate-limited.
      const throttled = status === 429;
      if (throttled && wasSent) throttles++;
      const giveUpThrottled = (why: string, retryAt: number): AttemptResult => {
        call.emit({ type: "give-up", attempt, outcome: verdict.outcome, reason: why });
        return endWith(unknownUnlessSettled(new RateLimitedError(retryAt, why)), why);
      };

      // A conditional write (If-Match) answered 412 after an attempt whose answer was lost: the
      // version may have moved because that attempt landed. Unknown, not a conflict.
      if (status === 412 && lostAnswer !== undefined && call.headerGiven("if-match") !== undefined) {
        call.emit({ type: "give-up", attempt, outcome: "unknown-outcome", reason: "HTTP 412 after an attempt whose answer was lost" });
        return endWith(new UnknownOutcomeError(call.fingerprint(), lostAnswer, current.idempotencyKey, status, false), "HTTP 412 after an attempt whose answer was lost: it may be this write's own");
      }
      // A 5xx other than 503 may come after the write was applied (a gateway's 504 behind a
      // server that committed): a write a repeat would apply again is not repeated on one.
      const appliedMaybe = wasSent && status !== undefined && mayFollowCommit(status) && call.operation.safety === "unsafe" && !current.replaySafe;
      if (appliedMaybe) mayHaveApplied ??= sent.error ?? HttpError.from(status, undefined, exchange!.response);
      const retryable = !appliedMaybe && (verdict.outcome === "retryable" || verdict.outcome === "throttled" || (verdict.outcome === "unknown-outcome" && current.replaySafe));
      if (!retryable) return giveUp(appliedMaybe ? `HTTP ${status} after the write was sent, and a repeat is not safe` : notRetriedWhy(status, verdict.outcome));
      if (sent.error?.kind === "aborted") return endWith(unknownUnlessSettled(sent.error));

      // How long to wait: the server's word first, else backoff.
      const now = clock.now();
      const { hints } = sent;
      const serverWait = hints.retryAfterMs ?? (status === 429 && hints.rateLimit?.remaining === 0 ? hints.rateLimit.resetMs : undefined);
      const shedding = status === 429 || status === 503;
      if (serverWait !== undefined && serverWait > maxRetryAfterMs) {
        const why = `the server asked for ${Math.ceil(serverWait / 1000)} s, more than the ${Math.round(maxRetryAfterMs / 1000)} s this client waits`;
        if (shedding) return endWith(unknownUnlessSettled(new RateLimitedError(now + serverWait, why)), "server wait too long");
        return giveUp("server wait too long");
      }
      const delay = serverWait !== undefined ? jitterAbove(serverWait, call.random) : backoffDelay(attempt, previousDelay, backoff, call.random);
      previousDelay = delay;

      if (!throttled && attempt - throttles >= maxAttempts) return giveUp(`gave up after ${attempt} attempts`);
      /** The call ends at its deadline with the answer in hand: rate-limited when the wait was the server's. */
      const atDeadline = (how: string): AttemptResult => {
        if (throttled) return giveUpThrottled(`the wait for the quota ${how} the call's deadline`, now + delay);
        if (serverWait !== undefined && shedding) return endWith(unknownUnlessSettled(new RateLimitedError(now + serverWait, `the wait the server asked for ${how} the call's deadline`)), "deadline reached");
        return giveUp("deadline reached");
      };
      if (call.deadline !== undefined && now + delay + MIN_ATTEMPT_WINDOW_MS >= call.deadline) return atDeadline("ends after");
      // Waiting out a 429 adds no load the server did not ask for: the budget is for faults.
      if (budget && !throttled && !budget.tryRetry(now)) return giveUp("retry budget exhausted");

      call.emit({ type: "retry", attempt, outcome: verdict.outcome, reason: verdict.reason, delayMs: delay });
      const before = explained(`retry in ${Math.round(delay)} ms${serverWait !== undefined ? " (server asked)" : ""}`);
      try {
        await clock.sleep(delay, call.signal);
      } catch (error) {
        if (error instanceof CarewireError) return { ...before, exchange: undefined, error: unknownUnlessSettled(error), verdict: { outcome: "permanent", reason: error.kind } };
        throw error;
      }
      // A busy host may wake us later than asked: too late to try again is the deadline.
      if (call.deadline !== undefined && clock.now() + MIN_ATTEMPT_WINDOW_MS >= call.deadline) return atDeadline("ran into");
      earlier = before.notes;
      current = { ...current, attempt: plan.attempt + earlier.attempts.length, delayMs: delay };
    }
  }

  /** Why a server error that is no fault of the request ends the call: a 500 is a bug as often as a blip, so retrying it is the provider's to allow. */
  function notRetriedWhy(status: number | undefined, outcome: string): string | undefined {
    if (status === undefined || status < 500 || outcome !== "permanent") return undefined;
    return `not retried: a 5xx other than 502, 503 or 504 is retried only when classify.retryStatuses lists it`;
  }

  // Success, the common case, needs none of the loop: its frame and closures are made only after a failure.
  return (next) => async (plan) => {
    budget?.recordRequest(plan.call.clock.now());
    const sent = await next(plan);
    return sent.verdict.outcome === "ok" ? sent : retrying(next, plan, sent);
  };
}
