/**
 * What the server says about waiting: Retry-After (delta-seconds or
 * HTTP-date, the date corrected for clock skew with the response's own Date),
 * retry-after-ms, IETF RateLimit / RateLimit-Policy (draft 8 `r`, `t`, `q`, `w`, one
 * item per quota policy, and the older RateLimit-Limit/-Remaining/-Reset), X-RateLimit-*
 * (reset as epoch or delta). Values that are malformed, negative or absurd are ignored,
 * never thrown on.
 */
import { ABSURD_MS, primaryPolicy, rateLimitPolicies, type RateLimitPolicy } from "./rate-limit-policies.js";
import { headerValue } from "./header-value.js";

export type { RateLimitPolicy } from "./rate-limit-policies.js";

export interface RateLimitSnapshot {
  readonly limit?: number;
  readonly remaining?: number;
  /** Milliseconds until the quota resets (or a slot frees). */
  readonly resetMs?: number;
  readonly windowMs?: number;
}

export interface ServerHints {
  /** How long the server asks us to wait, in ms (unclamped, but sane: ≤ 1 day). */
  readonly retryAfterMs?: number;
  /**
   * The primary quota: the structured policy named "requests" (else the first one named),
   * completed by the older RateLimit-* and X-RateLimit-* fields.
   */
  readonly rateLimit?: RateLimitSnapshot;
  /** Every policy the structured RateLimit / RateLimit-Policy fields name, in the order first named (the primary among them). */
  readonly rateLimits?: readonly RateLimitPolicy[];
}

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT` + // IMF-fixdate
    `|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT` + // RFC 850
    `|${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4})$`, // asctime
);


/** The hints of a response's headers (read once per Headers object: change none after the first read). */
export function readServerHints(headers: Headers, now: number): ServerHints {
  const retryAfterMs = retryAfterOf(headers, now);
  const rateLimits = rateLimitPolicies(headers);
  const rateLimit = rateLimitOf(headers, now, rateLimits);
  // Most answers say nothing of either: they share one empty set of hints.
  if (retryAfterMs === undefined && rateLimit === undefined && rateLimits === undefined) return NO_SERVER_HINTS;
  const hints: { -readonly [K in keyof ServerHints]: ServerHints[K] } = {};
  if (retryAfterMs !== undefined) hints.retryAfterMs = retryAfterMs;
  if (rateLimit !== undefined) hints.rateLimit = rateLimit;
  if (rateLimits !== undefined) hints.rateLimits = rateLimits;
  return hints;
}

const NO_SERVER_HINTS: ServerHints = Object.freeze({});

function retryAfterOf(headers: Headers, now: number): number | undefined {
  const ms = headerValue(headers, "retry-after-ms");
  if (ms !== null) {
    const value = Number(ms.trim());
    if (/^\d+(\.\d+)?$/.test(ms.trim()) && sane(value)) return value;
  }
  const raw = headerValue(headers, "retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) {
    const value = Number(raw) * 1000;
    return sane(value) ? value : undefined;
  }
  // Only the three HTTP-date forms (RFC 9110 §5.6.7): Date.parse alone accepts "wait 10".
  if (!HTTP_DATE.test(raw)) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  // The server's clock may differ from ours: measure the wait against its own Date.
  const serverNow = Date.parse(headerValue(headers, "date") ?? "");
  const value = at - (Number.isNaN(serverNow) ? now : serverNow);
  if (value < 0) return 0;
  return sane(value) ? value : undefined;
}

/** Header names of the older RateLimit drafts and the X- family, spelled out once. */
const RATELIMIT_FAMILIES = ["ratelimit-", "x-ratelimit-"].map((prefix) => ({ limit: `${prefix}limit`, remaining: `${prefix}remaining`, reset: `${prefix}reset` }));

function rateLimitOf(headers: Headers, now: number, policies: readonly RateLimitPolicy[] | undefined): RateLimitSnapshot | undefined {
  // Made only once something is found: most answers carry none of these headers.
  let out: { limit?: number; remaining?: number; resetMs?: number; windowMs?: number } | undefined;
  const primary = policies && primaryPolicy(policies);
  if (primary !== undefined) {
    const { policy: _name, ...snapshot } = primary;
    out = snapshot;
  }
  // Earlier drafts, and the X- family most providers send.
  for (const family of RATELIMIT_FAMILIES) {
    const limit = count(headerValue(headers, family.limit));
    const remaining = count(headerValue(headers, family.remaining));
    const reset = resetOf(headerValue(headers, family.reset), now);
    if (limit === undefined && remaining === undefined && reset === undefined) continue;
    out ??= {};
    if (out.limit === undefined && limit !== undefined) out.limit = limit;
    if (out.remaining === undefined && remaining !== undefined) out.remaining = remaining;
    if (out.resetMs === undefined && reset !== undefined) out.resetMs = reset;
  }
  return out !== undefined && Object.keys(out).length > 0 ? out : undefined;
}

function count(value: string | null): number | undefined {
  if (value === null) return undefined;
  const first = value.split(/[,;]/)[0]!.trim();
  if (!/^\d+$/.test(first)) return undefined;
  const n = Number(first);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Reset as epoch seconds (GitHub style) or as delta seconds, told apart by size. */
function resetOf(value: string | null, now: number): number | undefined {
  const n = count(value);
  if (n === undefined) return undefined;
  const ms = n > 1_000_000_000 ? n * 1000 - now : n * 1000;
  if (ms < 0) return 0;
  return sane(ms) ? ms : undefined;
}

function sane(ms: number): boolean {
  return Number.isFinite(ms) && ms >= 0 && ms <= ABSURD_MS;
}
