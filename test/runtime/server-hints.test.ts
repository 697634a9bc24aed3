/**
 * What the server says about waiting: Retry-After in both forms (the
 * date corrected for clock skew with the response's Date), retry-after-ms, the IETF
 * RateLimit headers (draft 8 and earlier) and X-RateLimit-*. Garbage is ignored, never
 * thrown on, and no wait ever comes back negative, NaN or beyond a day.
 */
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { readServerHints, type ServerHints } from "carewire";

const SECOND = 1_000;
const HOUR = 60 * 60 * SECOND;
const DAY = 24 * HOUR;
/** Our clock: 2025-01-15T12:00:00Z. */
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

function hints(headers: Record<string, string>, now = NOW): ServerHints {
  return readServerHints(new Headers(headers), now);
}

function httpDate(epochMs: number): string {
  return new Date(epochMs).toUTCString();
}

describe("readServerHints: Retry-After as delta seconds", () => {
  it.each([
    ["0", 0],
    ["1", 1_000],
    ["1.5", 1_500],
    ["30", 30_000],
    ["120", 120_000],
    [" 7 ", 7_000],
  ])("reads Retry-After %j as %i ms", (value, expected) => {
    expect(hints({ "retry-after": value })).toEqual({ retryAfterMs: expected });
  });

  it("accepts exactly one day, the largest sane wait", () => {
    expect(hints({ "retry-after": String(DAY / SECOND) })).toEqual({ retryAfterMs: DAY });
  });

  it("gives no hints when there are no headers", () => {
    expect(hints({})).toEqual({});
  });
});

describe("readServerHints: Retry-After as an HTTP-date", () => {
  it("measures the wait from our clock when the response has no Date", () => {
    expect(hints({ "retry-after": httpDate(NOW + 45 * SECOND) })).toEqual({ retryAfterMs: 45_000 });
  });

  it("corrects for a server clock one hour ahead of ours, using the response Date", () => {
    const serverNow = NOW + HOUR;
    const result = hints({ date: httpDate(serverNow), "retry-after": httpDate(serverNow + 30 * SECOND) });
    expect(result).toEqual({ retryAfterMs: 30_000 });
  });

  it("corrects for a server clock one hour behind ours (the date would otherwise look past)", () => {
    const serverNow = NOW - HOUR;
    const result = hints({ date: httpDate(serverNow), "retry-after": httpDate(serverNow + 20 * SECOND) });
    expect(result).toEqual({ retryAfterMs: 20_000 });
  });

  it("falls back to our clock when the response Date is malformed", () => {
    expect(hints({ date: "yesterday-ish", "retry-after": httpDate(NOW + 10 * SECOND) })).toEqual({ retryAfterMs: 10_000 });
  });

  it("reads a date in the past as no wait (0)", () => {
    expect(hints({ "retry-after": httpDate(NOW - 5 * 60 * SECOND) })).toEqual({ retryAfterMs: 0 });
    expect(hints({ date: httpDate(NOW), "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" })).toEqual({ retryAfterMs: 0 });
  });

  it("reads the obsolete RFC 850 and asctime forms HTTP recipients must accept", () => {
    const serverNow = Date.UTC(1994, 10, 6, 8, 49, 7);
    expect(hints({ date: httpDate(serverNow), "retry-after": "Sunday, 06-Nov-94 08:49:37 GMT" })).toEqual({ retryAfterMs: 30_000 });
    expect(hints({ date: httpDate(serverNow), "retry-after": "Sun Nov  6 08:49:37 1994" })).toEqual({ retryAfterMs: 30_000 });
  });

  it("ignores a date more than a day away", () => {
    expect(hints({ "retry-after": httpDate(NOW + 2 * DAY) })).toEqual({});
    expect(hints({ "retry-after": "Fri, 31 Dec 9999 23:59:59 GMT" })).toEqual({});
  });
});

describe("readServerHints: retry-after-ms", () => {
  it("reads milliseconds, fractional or not", () => {
    expect(hints({ "retry-after-ms": "250" })).toEqual({ retryAfterMs: 250 });
    expect(hints({ "retry-after-ms": "12.5" })).toEqual({ retryAfterMs: 12.5 });
    expect(hints({ "retry-after-ms": "0" })).toEqual({ retryAfterMs: 0 });
  });

  it("prefers retry-after-ms to Retry-After, being the more precise", () => {
    expect(hints({ "retry-after-ms": "1500", "retry-after": "2" })).toEqual({ retryAfterMs: 1_500 });
  });

  it("falls back to Retry-After when retry-after-ms is malformed or absurd", () => {
    expect(hints({ "retry-after-ms": "-1", "retry-after": "2" })).toEqual({ retryAfterMs: 2_000 });
    expect(hints({ "retry-after-ms": "soon", "retry-after": "2" })).toEqual({ retryAfterMs: 2_000 });
    expect(hints({ "retry-after-ms": String(2 * DAY), "retry-after": "2" })).toEqual({ retryAfterMs: 2_000 });
  });
});

describe("readServerHints: IETF RateLimit headers", () => {
  it("reads draft 8: RateLimit r and t, RateLimit-Policy q and w", () => {
    expect(hints({ ratelimit: '"default";r=0;t=30', "ratelimit-policy": '"default";q=100;w=60' })).toEqual({
      rateLimit: { remaining: 0, resetMs: 30_000, limit: 100, windowMs: 60_000 },
      rateLimits: [{ policy: "default", remaining: 0, resetMs: 30_000, limit: 100, windowMs: 60_000 }],
    });
  });

  it("takes the first policy as the primary when several are listed and none is named requests", () => {
    expect(hints({ ratelimit: '"burst";r=5;t=1, "daily";r=900;t=3600', "ratelimit-policy": '"burst";q=10;w=1, "daily";q=1000;w=86400' })).toEqual({
      rateLimit: { remaining: 5, resetMs: 1_000, limit: 10, windowMs: 1_000 },
      rateLimits: [
        { policy: "burst", remaining: 5, resetMs: 1_000, limit: 10, windowMs: 1_000 },
        { policy: "daily", remaining: 900, resetMs: 3_600_000, limit: 1000, windowMs: 86_400_000 },
      ],
    });
  });

  it("ignores non-numeric and negative parameters", () => {
    expect(hints({ ratelimit: '"default";r=-1;t=soon', "ratelimit-policy": '"default";q=1.5;w=' })).toEqual({});
  });

  it("reads the older RateLimit-Limit, -Remaining and -Reset (reset as delta seconds)", () => {
    expect(hints({ "ratelimit-limit": "100", "ratelimit-remaining": "7", "ratelimit-reset": "30" })).toEqual({
      rateLimit: { limit: 100, remaining: 7, resetMs: 30_000 },
    });
  });

  it("takes the first number of an older RateLimit-Limit with a policy attached", () => {
    expect(hints({ "ratelimit-limit": "100, 100;w=60, 1000;w=3600" })).toEqual({ rateLimit: { limit: 100 } });
  });

  it("prefers draft 8 values to the older headers", () => {
    expect(hints({ ratelimit: '"default";r=3;t=10', "ratelimit-remaining": "50", "ratelimit-reset": "40" })).toEqual({
      rateLimit: { remaining: 3, resetMs: 10_000 },
      rateLimits: [{ policy: "default", remaining: 3, resetMs: 10_000 }],
    });
  });
});

describe("readServerHints: X-RateLimit-*", () => {
  it("reads X-RateLimit-Reset as epoch seconds (GitHub style)", () => {
    const resetAt = Math.floor(NOW / SECOND) + 90;
    expect(hints({ "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(resetAt) })).toEqual({
      rateLimit: { limit: 5000, remaining: 0, resetMs: 90_000 },
    });
  });

  it("reads X-RateLimit-Reset as delta seconds", () => {
    expect(hints({ "x-ratelimit-reset": "45" })).toEqual({ rateLimit: { resetMs: 45_000 } });
  });

  it("reads an epoch reset already past as 0", () => {
    expect(hints({ "x-ratelimit-reset": String(Math.floor(NOW / SECOND) - 10) })).toEqual({ rateLimit: { resetMs: 0 } });
  });

  it("ignores an epoch reset more than a day ahead", () => {
    expect(hints({ "x-ratelimit-reset": String(Math.floor((NOW + 2 * DAY) / SECOND)) })).toEqual({});
  });

  it("prefers the standard RateLimit-* values to the X- family", () => {
    expect(hints({ "ratelimit-remaining": "4", "x-ratelimit-remaining": "9", "x-ratelimit-limit": "10" })).toEqual({
      rateLimit: { remaining: 4, limit: 10 },
    });
  });

  it("reads Retry-After and rate-limit headers side by side", () => {
    expect(hints({ "retry-after": "3", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3" })).toEqual({
      retryAfterMs: 3_000,
      rateLimit: { remaining: 0, resetMs: 3_000 },
    });
  });
});

describe("readServerHints: malformed, negative and absurd values are ignored", () => {
  it.each(["-5", "soon", "1e309", "999999999999", String((2 * DAY) / SECOND), "Infinity", "NaN", "0x10", "1,5", "", "   "])(
    "ignores Retry-After %j",
    (value) => {
      expect(hints({ "retry-after": value })).toEqual({});
    },
  );

  it.each(["wait 10", "tomorrow 3", "-1 GMT"])("ignores Retry-After %j, which only a lenient date parser would read", (value) => {
    expect(hints({ "retry-after": value })).toEqual({});
  });

  it.each(["-5", "soon", "1e309", "999999999999", String((2 * DAY) / SECOND), "1.5e3"])("ignores X-RateLimit-Reset and RateLimit-Reset %j", (value) => {
    expect(hints({ "x-ratelimit-reset": value, "ratelimit-reset": value })).toEqual({});
  });

  it.each(["-5", "soon", "1e309", "99999999999999999999", "3.7"])("ignores X-RateLimit-Limit and -Remaining %j", (value) => {
    expect(hints({ "x-ratelimit-limit": value, "x-ratelimit-remaining": value })).toEqual({});
  });

  it("ignores an absurd draft-8 reset (t beyond a day), like every other reset", () => {
    const spent = { rateLimit: { remaining: 0 }, rateLimits: [{ policy: "default", remaining: 0 }] };
    expect(hints({ ratelimit: '"default";r=0;t=999999' })).toEqual(spent);
    expect(hints({ ratelimit: `"default";r=0;t=${(2 * DAY) / SECOND}` })).toEqual(spent);
  });
});

// ---------------------------------------------------------------------------------------
// Properties: whatever arrives in any header, nothing throws and every wait is sane.

const HEADER_NAMES = [
  "retry-after",
  "retry-after-ms",
  "date",
  "ratelimit",
  "ratelimit-policy",
  "ratelimit-limit",
  "ratelimit-remaining",
  "ratelimit-reset",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
] as const;

/** Any character a Headers value may hold (Latin-1, no NUL/CR/LF). */
const headerChar = fc.oneof(fc.constant("\t"), fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)));
const anyText = fc.string({ unit: headerChar, maxLength: 40 });
/** Fragments that steer the parsers into their interesting branches. */
const fragment = fc.constantFrom(
  '"default"',
  ";",
  ",",
  "=",
  "r=",
  "t=",
  "q=",
  "w=",
  " ",
  "-",
  ".",
  "e",
  "0",
  "1",
  "5",
  "30",
  "999999",
  "1e309",
  "99999999999999999999",
  "GMT",
  "Sun",
  "Nov",
  "soon",
  "Infinity",
  "NaN",
);
const tokenText = fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join(""));
const numberText = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
  fc.double({ min: 0, max: 1e12, noNaN: true }).map((n) => n.toFixed(3)),
);
const dateText = fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15) }).map((d) => (Number.isNaN(d.getTime()) ? "Invalid Date" : d.toUTCString()));
/** `"policy";k=v;k=v, …` as in draft 8, with any parameter names and numbers. */
const structuredText = fc
  .array(
    fc.tuple(
      fc.constantFrom('"default"', '"burst"', "default", ""),
      fc.array(fc.tuple(fc.constantFrom("r", "t", "q", "w", "R", "T", "x"), fc.oneof(fc.nat().map(String), numberText)), { maxLength: 4 }),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((items) => items.map(([name, params]) => [name, ...params.map(([k, v]) => `${k}=${v}`)].join(";")).join(", "));
const headerValue = fc.oneof(anyText, tokenText, numberText, dateText, structuredText).map((value) => value.trim());
const headerList = fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), headerValue), { maxLength: 8 });
const ourClock = fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) });

function buildHeaders(entries: ReadonlyArray<readonly [string, string]>): Headers {
  const headers = new Headers();
  for (const [name, value] of entries) headers.append(name, value);
  return headers;
}

function expectSaneWait(ms: number | undefined): void {
  if (ms === undefined) return;
  expect(Number.isFinite(ms)).toBe(true);
  expect(ms).toBeGreaterThanOrEqual(0);
  expect(ms).toBeLessThanOrEqual(DAY);
}

function expectSaneCount(n: number | undefined): void {
  if (n === undefined) return;
  expect(Number.isSafeInteger(n)).toBe(true);
  expect(n).toBeGreaterThanOrEqual(0);
}

function expectSane(result: ServerHints): void {
  expect(Object.keys(result).every((key) => key === "retryAfterMs" || key === "rateLimit" || key === "rateLimits")).toBe(true);
  expectSaneWait(result.retryAfterMs);
  for (const snapshot of [...(result.rateLimit ? [result.rateLimit] : []), ...(result.rateLimits ?? [])]) {
    expectSaneWait(snapshot.resetMs);
    expectSaneWait(snapshot.windowMs);
    expectSaneCount(snapshot.limit);
    expectSaneCount(snapshot.remaining);
  }
  for (const policy of result.rateLimits ?? []) expect(policy.policy.length).toBeGreaterThan(0);
}

describe("readServerHints: properties", () => {
  it("never throws, and every wait is finite, ≥ 0 and ≤ 24 h, for arbitrary strings in every header", () => {
    fc.assert(
      fc.property(headerList, ourClock, (entries, now) => {
        expectSane(readServerHints(buildHeaders(entries), now));
      }),
      { numRuns: 2_000 },
    );
  });

  it("never throws, and every wait is sane, when every header is present at once", () => {
    const allHeaders = fc.tuple(...HEADER_NAMES.map((name) => headerValue.map((value) => [name, value] as const)));
    fc.assert(
      fc.property(allHeaders, ourClock, (entries, now) => {
        expectSane(readServerHints(buildHeaders(entries), now));
      }),
      { numRuns: 1_000 },
    );
  });

  it("reads any whole number of seconds up to a day exactly, and ignores anything longer", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * DAY }), (seconds) => {
        const result = hints({ "retry-after": String(seconds) });
        expect(result).toEqual(seconds * SECOND <= DAY ? { retryAfterMs: seconds * SECOND } : {});
      }),
    );
  });

  it("reads an HTTP-date the same whatever the skew between the server's clock and ours", () => {
    fc.assert(
      fc.property(fc.integer({ min: -DAY, max: DAY }), fc.integer({ min: 0, max: 3_600 }), (skewMs, waitSeconds) => {
        const serverNow = Math.floor((NOW + skewMs) / SECOND) * SECOND;
        const result = hints({ date: httpDate(serverNow), "retry-after": httpDate(serverNow + waitSeconds * SECOND) });
        expect(result).toEqual({ retryAfterMs: waitSeconds * SECOND });
      }),
    );
  });
});
