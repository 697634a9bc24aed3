/**
 * Client-side pacing: keep under the provider's quota before it says 429. A sliding
 * window per provider + client_id, from the spec's `x-carewire-rate-limit` or config,
 * corrected by RateLimit / X-RateLimit-* headers; beside requests, any other quota the
 * provider counts (points priced per operation), each call spending its price of each;
 * on a 429 every queued call holds until the server's retry time; a concurrency cap; and
 * priority lanes, so interactive calls go
 * ahead of batch work waiting for the same slots (and batch work leaves a share of the
 * quota free for them, across the fleet).
 *
 * The window lives in a `QuotaStore`: in memory for one process, in Redis for several
 * instances on one client_id. Its acquire checks and records a send in one step.
 */
import { noted, refusal, type AttemptResult, type Policy } from "../core/attempt.js";
import type { Clock } from "../core/clock.js";
import { CarewireError } from "../core/errors.js";
import type { Call } from "../core/call.js";
import type { OperationHints } from "../core/operation.js";
import type { RateLimitState } from "../core/meta.js";
import { quietly } from "../stores/fallback.js";
import { MemoryQuotaStore } from "../stores/memory-quota-store.js";
import type { QuotaDemand, QuotaObservation, QuotaStore } from "../stores/quota-store.js";
import type { RateLimitPolicy, RateLimitSnapshot } from "../wire/server-hints.js";
import { costResolver, type CostConfig, type ResolvedCost } from "./pacing-cost.js";
import { NamedQuotas, type NamedReading } from "./pacing-named-quotas.js";
import { isPacing, requestDemand, type Lane, type PacedDemand, type QuotaConfig, type SpecQuota } from "./pacing-quota.js";
import { afterQuiet, afterThrottle, windowAfterThrottle } from "./quota-probe.js";
import { FirstContact, type Turn } from "./first-contact.js";
import { tenantDemands, type TenantConfig } from "./pacing-tenants.js";
import { SharedLearning } from "./shared-learning.js";
import { slotQueue, type Admission } from "./pacing-queue.js";
import { AdmissionNotes } from "./pacing-telemetry.js";
import type { PacingOptions } from "./pacing-options.js";
import { isThenable } from "../portable/thenable.js";

export type { Lane } from "./pacing-quota.js";
export type { CostConfig, OperationCost } from "./pacing-cost.js";

export type { PacingOptions } from "./pacing-options.js";

export type PacingPolicy = Policy & {
  /** Runs a request outside a call in a slot (the token endpoint counts against the same quota). */
  paced<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
};

const NO_TURN: Turn = Object.freeze({});

export function pacingPolicy(provider: string, options: PacingOptions, clock: Clock, clientId = options.clientId ?? "default"): PacingPolicy {
  const store = options.store ?? new MemoryQuotaStore();
  const forTenant = tenantDemands(options);
  const firstContact = new FirstContact();
  const key = `${provider}:${clientId}`;
  const { acquire, release } = slotQueue({ store, key, clock, maxConcurrent: Math.max(1, options.maxConcurrent ?? 16), maxWaitMs: options.maxWaitMs ?? 120_000 });
  /** What the server's headers and 429s taught this instance or another of its fleet. */
  // Only a store other clients can reach has anyone to share with.
  const shared = new SharedLearning(options.store, key, clock);
  /** The call's demand on requests: what the headers, config or spec say, else what 429s taught. */
  const demandFor = (spec: SpecQuota | undefined, lane: Lane, cost = 1): PacedDemand | undefined => {
    const declared = requestDemand(options, shared.server, spec, lane, cost);
    return declared === undefined || isPacing(declared) || shared.probed === undefined ? declared : requestDemand(options, shared.probed, spec, lane, cost);
  };
  const costOf = costResolver(options.cost);
  /** The quotas beside requests. */
  const named = new NamedQuotas(options.quotas, options);
  /** Every demand of a call: on requests, and (when any other quota is known) on each of those at its price. */
  function demandsOf(demand: PacedDemand | undefined, cost: ResolvedCost, spec: OperationHints["rateLimit"], lane: Lane): readonly PacedDemand[] {
    if (demand === undefined) return NO_DEMANDS;
    if (!named.active(spec?.quotas)) return [demand];
    const all = [demand];
    named.demands(all, cost, spec?.quotas, lane);
    // The send settles less the first demand's margin: the smallest first, so no window is held short.
    if (all.length > 1) all.sort((a, b) => a.marginMs - b.marginMs);
    return all;
  }
  const notes = new AdmissionNotes(store, key);
  /** The latest pause this instance set or met, for `meta` (no store round trip per response). */
  let knownPause = 0;
  /**
   * Learns the server's view of the quota from an attempt's hints: its limit replaces the
   * configured one, its remaining count corrects the shared window, and a 429 (or a spent
   * quota) pauses every instance until the server's time. Returns the rate-limit note.
   */
  function learn(result: AttemptResult, call: Call, cost: ResolvedCost, pacedBeside: boolean): RateLimitState | undefined | Promise<RateLimitState | undefined> {
    if (result.exchange === undefined) return undefined;
    const { hints } = result;
    if (hints.rateLimit !== undefined || hints.rateLimits !== undefined || result.exchange.response.status === 429) return learnFromAnswer(result, call, cost, pacedBeside);
    // No rate-limit header and no 429 (most answers): nothing to write anywhere, unless a
    // quota estimated from 429s grows after a quiet answer.
    const declared = requestDemand(options, shared.server, call.operation.hints.rateLimit, "interactive");
    const pacing = declared !== undefined && isPacing(declared) ? declared : undefined;
    if (pacing === undefined && declared !== undefined && !pacedBeside && shared.probed !== undefined) return learnFromAnswer(result, call, cost, pacedBeside);
    return rateLimitNote(undefined, pacing, undefined, clock.now());
  }

  /** `learn` for an answer that says something about the quota (headers, a 429) or teaches an estimate. */
  async function learnFromAnswer(result: AttemptResult, call: Call, cost: ResolvedCost, pacedBeside: boolean): Promise<RateLimitState | undefined> {
    if (result.exchange === undefined) return undefined;
    const now = clock.now();
    const policies = result.hints.rateLimits;
    let reading: NamedReading | undefined;
    if (policies !== undefined && options.limit !== Infinity) reading = named.read(policies, call.operation.hints.rateLimit?.quotas, cost, now);
    // The primary snapshot is the requests quota's, unless a named quota claimed its policy.
    const rl = reading?.primaryIsRequests === false ? undefined : result.hints.rateLimit;
    if (rl?.limit !== undefined && rl.windowMs !== undefined && rl.limit > 0 && rl.windowMs > 0) await shared.learnedFromServer({ limit: rl.limit, windowMs: rl.windowMs });
    // The window as it stands now that the headers were read (they may have just taught it).
    const declared = requestDemand(options, shared.server, call.operation.hints.rateLimit, "interactive");
    const pacing = declared !== undefined && isPacing(declared) ? declared : undefined;
    const observations: QuotaObservation[] = reading ? [...reading.observations] : [];
    if (rl?.remaining !== undefined && pacing !== undefined) {
      observations.push({ name: pacing.name, limit: rl.limit ?? pacing.limit, windowMs: pacing.windowMs, remaining: rl.remaining, ...(rl.resetMs !== undefined ? { resetAt: now + rl.resetMs } : {}) });
    }
    // Each quota's correction is its own, so they go to the store together, not one trip after another.
    if (observations.length === 1) await quietly(() => store.observe(key, observations[0]!, now));
    else if (observations.length > 1) await Promise.all(observations.map((o) => quietly(() => store.observe(key, o, now))));
    // Nothing says the quota: 429s teach it (and answers without one let it grow), unless
    // another quota was paced for the call (its 429 may be that quota's).
    if (pacing === undefined && declared !== undefined && !pacedBeside) {
      if (result.exchange.response.status === 429) {
        const windowMs = windowAfterThrottle(result.hints.retryAfterMs);
        const sent = await quietly(() => store.usage(key, declared.name, now - windowMs));
        if (sent !== undefined) await shared.learnedFromThrottling(afterThrottle(sent, windowMs, now, shared.probed, result.hints.retryAfterMs));
      } else if (shared.probed !== undefined) {
        await shared.learnedFromThrottling(afterQuiet(shared.probed, now));
      }
    }
    let pauseUntil: number | undefined;
    if (result.exchange.response.status === 429) {
      const wait = result.hints.retryAfterMs ?? reading?.spentResetMs ?? rl?.resetMs;
      if (wait !== undefined) {
        pauseUntil = now + wait;
        call.emit({ type: "throttled", retryAt: pauseUntil });
      }
    } else if (rl?.remaining === 0 && rl.resetMs !== undefined && rl.resetMs > 0 && pacing === undefined) {
      // The server says the quota is spent and no window is kept here: hold until it resets
      // instead of earning a 429. (With a window, the server's count above already holds
      // exactly the sends it has not seen leave, no more: a sliding window frees slots
      // before its full reset.)
      pauseUntil = now + rl.resetMs;
    }
    if (reading?.pauseUntil !== undefined) pauseUntil = Math.max(pauseUntil ?? 0, reading.pauseUntil);
    if (pauseUntil !== undefined) {
      knownPause = Math.max(knownPause, pauseUntil);
      await quietly(() => store.pause(key, pauseUntil));
    }
    return rateLimitNote(rl, pacing, policies, now);
  }

  /** The rate-limit note of an answer: the server's reading, the paced limit, a pause this instance knows of, every quota named. */
  function rateLimitNote(rl: RateLimitSnapshot | undefined, pacing: PacedDemand | undefined, policies: readonly RateLimitPolicy[] | undefined, now: number): RateLimitState {
    // Nothing known (no header, no quota paced, no pause): one shared empty note.
    if (rl === undefined && pacing === undefined && knownPause <= now && policies === undefined) return NOTHING_KNOWN;
    return {
      ...(rl ?? {}),
      ...(pacing && rl?.limit === undefined ? { limit: pacing.limit } : {}),
      ...(knownPause > now ? { pausedUntil: knownPause } : {}),
      ...(policies !== undefined && policies.length > 1 ? { quotas: policies } : {}),
    };
  }

  /**
   * The send is done: moved to its response time in the window, less the window's margin
   * (which already covers an arrival that trails the record by that much: counting both
   * would hold each slot a margin too long), or taken out when the server did not count it;
   * then its concurrency slot is freed.
   */
  function finish(admission: Admission, demands: readonly PacedDemand[], counted = true, answeredAt = clock.now()): Promise<void> | undefined {
    // `quietly` never throws, and hands a store's later answer back as a native Promise: a
    // store that fails has its send age out of the window.
    const pending = demands.length === 0 ? undefined : quietly(() => (counted ? store.settle(key, admission.id, answeredAt - demands[0]!.marginMs, demands) : store.cancel(key, admission.id, demands)));
    if (pending instanceof Promise) return pending.then(release);
    release();
    return undefined;
  }

  const policy: Policy = (next) => async (plan) => {
    const { call } = plan;
    const lane: Lane = call.options.priority ?? call.operation.hints.criticality ?? "interactive";
    // Before this instance's first send, what the fleet already learned (one read); later, in the background.
    const reading = shared.refresh();
    if (reading !== undefined) await reading;
    const cost = costOf(call.operation);
    const spec = call.operation.hints.rateLimit;
    let demand = demandFor(spec, lane, cost.requests);
    // Nobody has named the quota: the first call's answer may, so the others wait for it.
    const turn = demand !== undefined && !isPacing(demand) ? firstContact.turn(call) : NO_TURN;
    if (turn.wait !== undefined) {
      try {
        await turn.wait();
      } catch (error) {
        if (error instanceof CarewireError) return refusal(plan, error);
        throw error;
      }
      demand = demandFor(spec, lane, cost.requests);
    }
    const { demands, tenant } = forTenant(call.tenant, demandsOf(demand, cost, spec, lane));
    const waitStart = clock.now();
    let admission: Admission;
    try {
      const pending = acquire(lane, demands, call.deadline, call.signal, tenant);
      admission = isThenable(pending) ? await pending : pending;
    } catch (error) {
      turn.done?.();
      if (error instanceof CarewireError) return refusal(plan, error);
      throw error;
    }
    notes.admitted(call, admission, { demand, demands, tenant, waitedMs: clock.now() - waitStart });
    let uncounted = false;
    let answeredAt: number | undefined;
    try {
      const result = await next(plan);
      // The slot counts from the answer, not from after the bookkeeping below (store round trips).
      answeredAt = clock.now();
      // Learning from 429s alone: a refused send is left out of the count the next estimate
      // is made from (limiters do not count what they refuse).
      uncounted = result.exchange?.response.status === 429 && demands.length === 1 && !isPacing(demands[0]!);
      const learning = learn(result, call, cost, demands.length > 1);
      const rateLimit = isThenable(learning) ? await learning : learning;
      return rateLimit === undefined ? result : noted(result, rateLimit === NOTHING_KNOWN ? NOTHING_KNOWN_NOTE : { rateLimit });
    } finally {
      const finishing = finish(admission, demands, !uncounted, answeredAt);
      if (finishing !== undefined) await finishing;
      turn.done?.();
    }
  };

  return Object.assign(policy, {
    async paced<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const demand = demandFor(undefined, "critical");
      const demands = demand ? [demand] : NO_DEMANDS;
      const admission = await acquire("critical", demands, undefined, signal);
      try {
        return await work();
      } finally {
        await finish(admission, demands);
      }
    },
  });
}

const NO_DEMANDS: readonly PacedDemand[] = Object.freeze([]);
const NOTHING_KNOWN: RateLimitState = Object.freeze({});
const NOTHING_KNOWN_NOTE = Object.freeze({ rateLimit: NOTHING_KNOWN });
