/**
 * The retry policy: classify each attempt, wait what the server asks (Retry-After,
 * RateLimit reset; never less, a little jitter above) or a jittered backoff, within
 * max attempts, the call's deadline and the provider's retry budget.
 */
import { backoffDelay, DEFAULT_BACKOFF, DEFAULT_RETRY_BUDGET, jitterAbove, RetryBudget, type BackoffOptions, type RetryBudgetOptions } from "./backoff.js";
import { classify, type Classification, type ClassifyOptions } from "../core/classify.js";
import { CarewireError, RateLimitedError, UnknownOutcomeError } from "../core/errors.js";
import type { CallContext, Next, Policy } from "../core/policy.js";
import { readServerHints } from "../wire/server-hints.js";
import type { Exchange } from "../wire/transport.js";

export interface RetryOptions {
  /** Attempts per call, the first included. Default 4. */
  readonly maxAttempts?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** Longest server-requested wait carewire sits out; longer ones fail at once with RateLimitedError. Default 120 s. */
  readonly maxRetryAfterMs?: number;
  readonly budget?: Partial<RetryBudgetOptions> | false;
  readonly classify?: ClassifyOptions;
  /**
   * Per-operation overrides by operationId: a slow report endpoint may want a longer base
   * and cap, a payment more attempts. Unlisted operations use the settings above.
   */
  readonly perOperation?: Readonly<Record<string, { readonly maxAttempts?: number; readonly backoff?: Partial<BackoffOptions> }>>;
}

export function retryPolicy(options: RetryOptions = {}): Policy {
  const defaults = { maxAttempts: Math.max(1, options.maxAttempts ?? 4), backoff: { ...DEFAULT_BACKOFF, ...options.backoff } };
  // Resolved once per operation, not per call.
  const settings = new Map<string, { maxAttempts: number; backoff: BackoffOptions }>(
    Object.entries(options.perOperation ?? {}).map(([operationId, o]) => [
      operationId,
      { maxAttempts: Math.max(1, o.maxAttempts ?? defaults.maxAttempts), backoff: { ...defaults.backoff, ...o.backoff } },
    ]),
  );
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
  const budget = options.budget === false ? undefined : new RetryBudget({ ...DEFAULT_RETRY_BUDGET, ...options.budget });

  return {
    name: "retry",
    async execute(context: CallContext, next: Next): Promise<Exchange> {
      const { clock } = context;
      const { maxAttempts, backoff } = settings.get(context.operation.operationId) ?? defaults;
      budget?.recordRequest(clock.now());
      let previousDelay = backoff.baseMs;
      // Once one attempt of a write may have been applied, no later answer (a 503, a reset
      // before sending, a wait too long) can say it was not: the call ends as unknown-outcome.
      let mayHaveApplied: CarewireError | undefined;
      const unknownUnlessSettled = (failure: CarewireError, lastStatus?: number): CarewireError =>
        mayHaveApplied === undefined ? failure : new UnknownOutcomeError(context.fingerprint(), mayHaveApplied, context.idempotencyKey, lastStatus);
      for (let attempt = 1; ; attempt++) {
        let exchange: Exchange | undefined;
        let failure: unknown;
        const attemptsBefore = context.attempts.length;
        try {
          exchange = await next();
        } catch (error) {
          failure = error;
        }
        const safety = context.operation.safety;
        const verdict: Classification = exchange ? classify({ exchange, safety }, options.classify) : classify({ error: failure, safety }, options.classify);
        // A layer below may have answered without sending (an open circuit, a refused
        // slot): then there is no new attempt, and the last one keeps its own verdict.
        const sent = context.attempts.length > attemptsBefore;
        const annotate = (patch: { outcome?: Classification["outcome"]; reason: string }) => {
          if (sent) context.annotateAttempt(patch);
        };
        annotate({ outcome: verdict.outcome, reason: verdict.reason });
        // Success, the common case: nothing below (give-up path, server hints) is needed.
        if (verdict.outcome === "ok") return exchange!;
        if (verdict.outcome === "unknown-outcome" && failure instanceof CarewireError) mayHaveApplied ??= failure;
        const giveUp = (why?: string): Exchange => {
          if (why) annotate({ reason: `${verdict.reason}; ${why}` });
          context.emit({ type: "give-up", attempt, outcome: mayHaveApplied ? "unknown-outcome" : verdict.outcome, reason: why ?? verdict.reason });
          if (mayHaveApplied) throw unknownUnlessSettled(mayHaveApplied, exchange?.response.status);
          if (exchange) return exchange;
          throw failure;
        };

        const retryable =
          verdict.outcome === "retryable" ||
          verdict.outcome === "throttled" ||
          (verdict.outcome === "unknown-outcome" && context.idempotencyKey !== undefined);
        if (!retryable) return giveUp();
        if (failure instanceof CarewireError && failure.kind === "aborted") throw unknownUnlessSettled(failure);

        // How long to wait: the server's word first, else backoff.
        const now = clock.now();
        const hints = exchange ? readServerHints(exchange.response.headers, now) : {};
        const serverWait = hints.retryAfterMs ?? (exchange?.response.status === 429 && hints.rateLimit?.remaining === 0 ? hints.rateLimit.resetMs : undefined);
        if (serverWait !== undefined && serverWait > maxRetryAfterMs) {
          if (exchange?.response.status === 429 || exchange?.response.status === 503) {
            throw unknownUnlessSettled(new RateLimitedError(now + serverWait, `the server asked for ${Math.ceil(serverWait / 1000)} s, more than the ${Math.round(maxRetryAfterMs / 1000)} s this client waits`), exchange.response.status);
          }
          return giveUp("server wait too long");
        }
        const delay = serverWait !== undefined ? jitterAbove(serverWait, context.random) : backoffDelay(attempt, previousDelay, backoff, context.random);
        previousDelay = delay;
        if (serverWait !== undefined && exchange?.response.status === 429) {
          context.onThrottled?.(now + serverWait);
          context.emit({ type: "throttled", retryAt: now + serverWait });
        }

        if (attempt >= maxAttempts) return giveUp(`gave up after ${attempt} attempts`);
        if (context.deadline !== undefined && now + delay >= context.deadline) {
          if (serverWait !== undefined && (exchange?.response.status === 429 || exchange?.response.status === 503)) {
            throw unknownUnlessSettled(new RateLimitedError(now + serverWait, "the wait the server asked for ends after the call's deadline"), exchange.response.status);
          }
          return giveUp("deadline reached");
        }
        if (budget && !budget.tryRetry(now)) return giveUp("retry budget exhausted");

        context.emit({ type: "retry", attempt, outcome: verdict.outcome, reason: verdict.reason, delayMs: delay });
        annotate({ reason: `${verdict.reason}; retry in ${Math.round(delay)} ms${serverWait !== undefined ? " (server asked)" : ""}` });
        context.nextDelayMs = delay;
        try {
          await clock.sleep(delay, context.signal);
        } catch (error) {
          throw error instanceof CarewireError ? unknownUnlessSettled(error) : error;
        }
      }
    },
  };
}
