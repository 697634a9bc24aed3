/**
 * The IETF RateLimit and RateLimit-Policy fields (draft-ietf-httpapi-ratelimit-headers-08
 * and later): structured-field lists with one item per quota policy, e.g.
 *   RateLimit: "requests";r=50;t=30, "fhirInteractions";r=4000;t=30
 *   RateLimit-Policy: "requests";q=100;w=60, "fhirInteractions";q=5000;w=60
 * A server may count several quotas at once (requests, and points priced per operation).
 * Parsed with an RFC 8941/9651 parser; a field that does not parse is ignored whole, and a
 * parameter that is not a sane non-negative integer is ignored alone.
 */
import { parseList, Token, type Parameters } from "structured-headers";
import type { RateLimitSnapshot } from "./server-hints.js";
import { headerValue } from "./header-value.js";

/** What the server said about one of its quota policies. */
export interface RateLimitPolicy extends RateLimitSnapshot {
  /** The policy's name as the server sent it (`"requests"`, `"fhirInteractions"`, `"default"`). */
  readonly policy: string;
}

/** Anything beyond a day is not a wait, it is garbage. */
export const ABSURD_MS = 24 * 60 * 60 * 1000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };


/** Every policy named by either field, in the order first named; undefined when neither says anything usable. */
export function rateLimitPolicies(headers: Headers): readonly RateLimitPolicy[] | undefined {
  const state = headerValue(headers, "ratelimit");
  const policy = headerValue(headers, "ratelimit-policy");
  if (state === null && policy === null) return undefined;
  const byName = new Map<string, Mutable<RateLimitPolicy>>();
  const entry = (name: string) => {
    let found = byName.get(name);
    if (found === undefined) byName.set(name, (found = { policy: name }));
    return found;
  };
  // Older drafts used a bare number here (read by the caller's family fallback): only a field with parameters is structured.
  if (state !== null && /[;=]/.test(state)) {
    for (const [name, params] of items(state)) {
      const remaining = count(params, "r");
      const resetS = count(params, "t");
      if (remaining !== undefined) entry(name).remaining = remaining;
      if (resetS !== undefined && resetS * 1000 <= ABSURD_MS) entry(name).resetMs = resetS * 1000;
    }
  }
  if (policy !== null) {
    for (const [name, params] of items(policy)) {
      const limit = count(params, "q");
      const windowS = count(params, "w");
      if (limit !== undefined) entry(name).limit = limit;
      if (windowS !== undefined && windowS > 0 && windowS * 1000 <= ABSURD_MS) entry(name).windowMs = windowS * 1000;
    }
  }
  // A policy named but with nothing usable said about it tells nothing.
  const out = [...byName.values()].filter((p) => Object.keys(p).length > 1);
  return out.length > 0 ? out : undefined;
}

/**
 * The policy that stands for the whole quota where one snapshot is wanted: the one named
 * "requests" when the server names it, else the first.
 */
export function primaryPolicy(policies: readonly RateLimitPolicy[]): RateLimitPolicy | undefined {
  return policies.find((p) => p.policy === "requests") ?? policies[0];
}

/** The list's items as (name, parameters); a field that is not a structured list yields none. */
function items(value: string): Array<[string, Parameters]> {
  let list: ReturnType<typeof parseList>;
  try {
    list = parseList(value);
  } catch {
    return [];
  }
  const out: Array<[string, Parameters]> = [];
  for (const member of list) {
    const [bare, params] = member;
    // An inner list names no policy; a name is a string or a token.
    if (Array.isArray(bare)) continue;
    const name = typeof bare === "string" ? bare : bare instanceof Token ? bare.toString() : "";
    if (name.length > 0) out.push([name, params]);
  }
  return out;
}

/** A parameter that is a whole number ≥ 0 the JavaScript number type holds exactly. */
function count(params: Parameters, key: string): number | undefined {
  const value = params.get(key);
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
