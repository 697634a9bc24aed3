/**
 * The FHIR simulator's quotas, as a FHIR server meters load: a count of requests per
 * client, and beside it (optionally) a points quota where each interaction spends its
 * price (read 1, history 10, search 20, write 100; a batch or transaction what its
 * entries cost). Each answer can carry the IETF RateLimit fields with one policy per
 * quota, so a client can be contract-tested against several quotas at once.
 */
import type { ServerResponse } from "node:http";
import { bundlePoints, FHIR_INTERACTION_POINTS, FHIR_POINTS_QUOTA } from "../../fhir/prices.js";
import type { TypeInteraction } from "../../fhir/interactions.js";
import { multiPolicyHeaders, WeightedWindowLimiter, type PointsQuotaOptions, type PolicyState } from "../simulator/points-quota.js";
import { SlidingWindowLimiter, type RateDecision } from "../simulator/rate-limiter.js";

export interface FhirPointsOptions extends PointsQuotaOptions {
  /** Prices by interaction over the defaults (read 1, vread 1, history 10, search 20, writes 100). */
  readonly prices?: Partial<Record<TypeInteraction, number>>;
}

export interface FhirQuotaOptions {
  readonly rateLimit?: { readonly limit: number; readonly windowSeconds: number } | false;
  readonly points?: FhirPointsOptions;
  /** Send RateLimit / RateLimit-Policy with every answer. Default: with a points quota. */
  readonly rateLimitHeaders?: boolean;
}

/** Refused: the wait in whole seconds for Retry-After. */
export type Refusal = { readonly retryAfterSeconds: number };

/** A request counted: refused or not, and the requests quota as it stands for its answer. */
export interface RequestAdmission {
  readonly refused: Refusal | undefined;
  readonly state: RateDecision | undefined;
}

export class FhirQuotas {
  /** Points spent by admitted requests. */
  points = 0;
  private readonly requests: SlidingWindowLimiter | undefined;
  private readonly pointsLimiter: WeightedWindowLimiter | undefined;
  private readonly prices: Readonly<Record<TypeInteraction, number>>;
  private readonly pointsName: string;
  private readonly headers: boolean;

  constructor(options: FhirQuotaOptions) {
    if (options.points !== undefined && !(Number.isSafeInteger(options.points.limit) && options.points.limit > 0 && options.points.windowSeconds > 0)) {
      throw new RangeError(`points needs a positive whole limit and windowSeconds, got ${JSON.stringify(options.points)}`);
    }
    this.requests = options.rateLimit ? new SlidingWindowLimiter({ limit: options.rateLimit.limit, windowMs: options.rateLimit.windowSeconds * 1000 }) : undefined;
    this.pointsLimiter = options.points ? new WeightedWindowLimiter({ limit: options.points.limit, windowMs: options.points.windowSeconds * 1000 }) : undefined;
    this.prices = { ...FHIR_INTERACTION_POINTS, ...options.points?.prices };
    this.pointsName = options.points?.name ?? FHIR_POINTS_QUOTA;
    this.headers = options.rateLimitHeaders ?? options.points !== undefined;
  }

  /** Counts a request against the requests quota (every request, whatever it turns out to be). */
  admitRequest(res: ServerResponse, who: string, now: number): RequestAdmission {
    const state = this.requests?.take(who, now);
    this.fields(res, who, now, state, undefined);
    return { refused: state === undefined || state.allowed ? undefined : refusal(state), state };
  }

  /** Spends an interaction's price of the points quota, once the interaction is known. */
  admitInteraction(res: ServerResponse, who: string, now: number, request: RequestAdmission, interaction: string, body: unknown): Refusal | undefined {
    if (this.pointsLimiter === undefined) return undefined;
    const price = this.priceOf(interaction, body);
    const decision = price > 0 ? this.pointsLimiter.take(who, price, now) : this.pointsLimiter.peek(who, now);
    this.fields(res, who, now, request.state, decision);
    if (price > 0 && !decision.allowed) return refusal(decision);
    this.points += price;
    return undefined;
  }

  reset(): void {
    this.requests?.reset();
    this.pointsLimiter?.reset();
    this.points = 0;
  }

  private priceOf(interaction: string, body: unknown): number {
    if (interaction === "transaction" || interaction === "batch") return bundlePoints(body, this.prices);
    return Object.hasOwn(this.prices, interaction) ? this.prices[interaction as TypeInteraction] : 0;
  }

  /** The RateLimit fields as they stand, on the answer (set before it is written). */
  private fields(res: ServerResponse, who: string, now: number, requests: RateDecision | undefined, points: RateDecision | undefined): void {
    if (!this.headers) return;
    const policies: PolicyState[] = [];
    if (this.requests && requests) policies.push({ name: "requests", decision: requests, config: this.requests.config });
    const pointsState = points ?? this.pointsLimiter?.peek(who, now);
    if (this.pointsLimiter && pointsState) policies.push({ name: this.pointsName, decision: pointsState, config: this.pointsLimiter.config });
    for (const [name, value] of Object.entries(multiPolicyHeaders(policies))) res.setHeader(name, value);
  }
}

function refusal(decision: RateDecision): Refusal {
  return { retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) };
}
