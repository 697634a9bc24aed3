/**
 * Several quotas at once in the IETF RateLimit fields: a server that counts requests and
 * points priced per operation names each policy. Every policy is read; the one named
 * "requests" (else the first) stays the primary snapshot, completed by the older fields;
 * anything malformed is ignored, never thrown on.
 */
import { describe, expect, it } from "@jest/globals";
import { readServerHints, type ServerHints } from "carewire";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

function hints(headers: Record<string, string>): ServerHints {
  return readServerHints(new Headers(headers), NOW);
}

const MEDPLUM_STYLE = {
  ratelimit: '"requests";r=50;t=30, "fhirInteractions";r=4000;t=30',
  "ratelimit-policy": '"requests";q=100;w=60, "fhirInteractions";q=5000;w=60',
};

describe("readServerHints: several RateLimit policies", () => {
  it("reads every policy of both fields and matches them by name", () => {
    expect(hints(MEDPLUM_STYLE)).toEqual({
      rateLimit: { remaining: 50, resetMs: 30_000, limit: 100, windowMs: 60_000 },
      rateLimits: [
        { policy: "requests", remaining: 50, resetMs: 30_000, limit: 100, windowMs: 60_000 },
        { policy: "fhirInteractions", remaining: 4000, resetMs: 30_000, limit: 5000, windowMs: 60_000 },
      ],
    });
  });

  it("takes the policy named requests as the primary wherever it is listed", () => {
    const result = hints({ ratelimit: '"fhirInteractions";r=10;t=5, "requests";r=7;t=9' });
    expect(result.rateLimit).toEqual({ remaining: 7, resetMs: 9_000 });
    expect(result.rateLimits?.map((p) => p.policy)).toEqual(["fhirInteractions", "requests"]);
  });

  it("matches the two fields by name, not by position", () => {
    const result = hints({ ratelimit: '"points";r=3;t=1, "requests";r=9;t=2', "ratelimit-policy": '"requests";q=10;w=60, "points";q=50;w=60' });
    expect(result.rateLimits).toEqual([
      { policy: "points", remaining: 3, resetMs: 1_000, limit: 50, windowMs: 60_000 },
      { policy: "requests", remaining: 9, resetMs: 2_000, limit: 10, windowMs: 60_000 },
    ]);
  });

  it("reads a policy the state field names but the policy field does not (as Medplum sends it: r and t only)", () => {
    expect(hints({ ratelimit: '"requests";r=59999;t=60, "fhirInteractions";r=49894;t=60' }).rateLimits).toEqual([
      { policy: "requests", remaining: 59_999, resetMs: 60_000 },
      { policy: "fhirInteractions", remaining: 49_894, resetMs: 60_000 },
    ]);
  });

  it("accepts token names, spaces after separators and extra parameters", () => {
    expect(hints({ ratelimit: "requests;r=1;t=2,  points; r=3; t=4;pk=:cHJvamVjdA==:" }).rateLimits).toEqual([
      { policy: "requests", remaining: 1, resetMs: 2_000 },
      { policy: "points", remaining: 3, resetMs: 4_000 },
    ]);
  });

  it("completes the primary with the X-RateLimit-* values it lacks, and lists no policy for them", () => {
    expect(hints({ ratelimit: '"requests";r=5;t=10, "points";r=100;t=10', "x-ratelimit-limit": "60", "x-ratelimit-remaining": "1" })).toEqual({
      rateLimit: { remaining: 5, resetMs: 10_000, limit: 60 },
      rateLimits: [
        { policy: "requests", remaining: 5, resetMs: 10_000 },
        { policy: "points", remaining: 100, resetMs: 10_000 },
      ],
    });
  });

  it("keeps the X-RateLimit-* form alone as it was: a primary, no policies", () => {
    expect(hints({ "x-ratelimit-limit": "60", "x-ratelimit-remaining": "1", "x-ratelimit-reset": "30" })).toEqual({ rateLimit: { limit: 60, remaining: 1, resetMs: 30_000 } });
  });
});

describe("readServerHints: malformed RateLimit policies", () => {
  it.each([
    ["an unterminated name", '"requests;r=5;t=10'],
    ["a trailing comma", '"requests";r=5;t=10,'],
    ["a stray character", '"requests";r=5;t=10 ?'],
    ["a parameter without a name", '"requests";=5'],
  ])("ignores the whole field for %s", (_why, value) => {
    expect(hints({ ratelimit: value })).toEqual({});
  });

  it("drops negative, fractional, textual and absurd parameters one by one, and policies left with nothing", () => {
    expect(hints({ ratelimit: '"a";r=-1;t=2, "b";r=1.5;t=soon, "c";r=4;t=999999, "d";r="5"', "ratelimit-policy": '"a";q=0;w=0, "b";q=?1;w=3.5' }).rateLimits).toEqual([
      { policy: "a", resetMs: 2_000, limit: 0 },
      { policy: "c", remaining: 4 },
    ]);
  });

  it("skips inner lists and empty names", () => {
    expect(hints({ ratelimit: '("a" "b");r=1, "";r=2, "ok";r=3' }).rateLimits).toEqual([{ policy: "ok", remaining: 3 }]);
  });

  it("reads the other field when one of the two is malformed", () => {
    expect(hints({ ratelimit: "r=5;;", "ratelimit-policy": '"requests";q=100;w=60' })).toEqual({
      rateLimit: { limit: 100, windowMs: 60_000 },
      rateLimits: [{ policy: "requests", limit: 100, windowMs: 60_000 }],
    });
  });
});
