/**
 * Idempotency keys derived from business keys (stable, never PHI in
 * clear) and the redaction telemetry applies before anything reaches a logger.
 */
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { deriveIdempotencyKey, redact } from "carewire";

const KEY_SHAPE = /^cw1-[0-9a-f]{40}$/;

describe("deriveIdempotencyKey", () => {
  const businessKey = { mrn: "MRN-123456", encounter: { date: "2025-01-15", site: "north" }, codes: ["a", "b"] };

  it("is deterministic: the same provider, operation and business key give the same key", () => {
    const first = deriveIdempotencyKey("acme", "createPatient", businessKey);
    const second = deriveIdempotencyKey("acme", "createPatient", structuredClone(businessKey));
    expect(first).toBe(second);
  });

  it("starts with cw1- followed by 40 lowercase hex characters", () => {
    expect(deriveIdempotencyKey("acme", "createPatient", businessKey)).toMatch(KEY_SHAPE);
    expect(deriveIdempotencyKey("", "", null)).toMatch(KEY_SHAPE);
    expect(deriveIdempotencyKey("acme", "op", "a plain string")).toMatch(KEY_SHAPE);
  });

  it("is insensitive to the order of object keys, at any depth", () => {
    const reordered = { codes: ["a", "b"], encounter: { site: "north", date: "2025-01-15" }, mrn: "MRN-123456" };
    expect(deriveIdempotencyKey("acme", "createPatient", reordered)).toBe(deriveIdempotencyKey("acme", "createPatient", businessKey));
    expect(deriveIdempotencyKey("acme", "op", [{ b: 1, a: 2 }])).toBe(deriveIdempotencyKey("acme", "op", [{ a: 2, b: 1 }]));
  });

  it("ignores undefined fields, as JSON does", () => {
    expect(deriveIdempotencyKey("acme", "op", { mrn: "MRN-1", note: undefined })).toBe(deriveIdempotencyKey("acme", "op", { mrn: "MRN-1" }));
  });

  it("differs per provider", () => {
    expect(deriveIdempotencyKey("acme", "createPatient", businessKey)).not.toBe(deriveIdempotencyKey("globex", "createPatient", businessKey));
  });

  it("differs per operation", () => {
    expect(deriveIdempotencyKey("acme", "createPatient", businessKey)).not.toBe(deriveIdempotencyKey("acme", "updatePatient", businessKey));
  });

  it("differs per business key, down to one character, a type or the order of an array", () => {
    const keys = [
      { mrn: "MRN-123456" },
      { mrn: "MRN-123457" },
      { mrn: 123456 },
      { mrn: "123456" },
      { mrn: ["MRN-123456"] },
      { MRN: "MRN-123456" },
      { mrn: "MRN-123456", site: "north" },
      { codes: ["a", "b"] },
      { codes: ["b", "a"] },
      { flag: true },
      { flag: "true" },
      { value: null },
      {},
      [],
    ].map((key) => deriveIdempotencyKey("acme", "createPatient", key));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("tells apart business keys that differ only in a Date", () => {
    const first = deriveIdempotencyKey("acme", "bookAppointment", { patient: "MRN-1", at: new Date("2025-01-15T09:00:00Z") });
    const second = deriveIdempotencyKey("acme", "bookAppointment", { patient: "MRN-1", at: new Date("2025-01-16T09:00:00Z") });
    expect(first).not.toBe(second);
  });

  it("never carries the business key's values in clear", () => {
    const key = deriveIdempotencyKey("acme", "createPatient", { mrn: "MRN-123456", family: "Okonkwo", birthDate: "1980-02-29" });
    for (const secret of ["MRN-123456", "123456", "Okonkwo", "1980-02-29", "1980", "mrn", "family"]) expect(key).not.toContain(secret);
    expect(key.toLowerCase()).not.toContain("mrn");
  });

  it("gives the same key whatever the key order, for arbitrary JSON business keys", () => {
    const reverseKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reverseKeys);
      if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
      }
      return value;
    };
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const key = deriveIdempotencyKey("acme", "op", value);
        expect(key).toMatch(KEY_SHAPE);
        expect(deriveIdempotencyKey("acme", "op", reverseKeys(value))).toBe(key);
      }),
      { numRuns: 500 },
    );
  });
});

describe("redact", () => {
  it("replaces authorization, token, secret, password, cookie, api-key and credential fields", () => {
    const input = {
      authorization: "Bearer eyJhbGciOi",
      Authorization: "Basic dXNlcjpwYXNz",
      "proxy-authorization": "Basic cHJveHk=",
      access_token: "at-1",
      refreshToken: "rt-1",
      id_token: "it-1",
      client_secret: "cs-1",
      password: "hunter2",
      cookie: "sid=abc",
      "set-cookie": "sid=abc; HttpOnly",
      "x-api-key": "ak-1",
      apiKey: "ak-2",
      api_key: "ak-3",
      credentials: { user: "u", pass: "p" },
    };
    const out = redact(input);
    for (const key of Object.keys(input)) expect(out[key as keyof typeof input]).toBe("[redacted]");
  });

  it("redacts at any depth, inside nested objects and arrays", () => {
    const out = redact({
      carewire: { type: "token", request: { headers: { authorization: "Bearer nested-1", accept: "application/json" } } },
      attempts: [{ status: 401, token: "nested-2" }, { status: 200, cookies: ["nested-3"] }],
      deeper: { a: { b: { c: { d: { apiKey: "nested-4" } } } } },
    });
    expect(out).toEqual({
      carewire: { type: "token", request: { headers: { authorization: "[redacted]", accept: "application/json" } } },
      attempts: [{ status: 401, token: "[redacted]" }, { status: 200, cookies: "[redacted]" }],
      deeper: { a: { b: { c: { d: { apiKey: "[redacted]" } } } } },
    });
    expect(JSON.stringify(out)).not.toMatch(/nested-\d/);
  });

  it("never leaks a secret nested deeper than its depth bound", () => {
    let nested: Record<string, unknown> = { authorization: "Bearer deep-secret" };
    for (let i = 0; i < 12; i++) nested = { level: nested };
    expect(JSON.stringify(redact(nested))).not.toContain("deep-secret");
  });

  it("leaves other fields, and non-object values, untouched", () => {
    const event = {
      type: "retry",
      provider: "acme",
      operationId: "createPatient",
      attempt: 2,
      outcome: "throttled",
      reason: "HTTP 429; retry in 1200 ms",
      delayMs: 1_200,
      tenant: undefined,
      nested: { status: 503, list: [1, "two", null, true] },
    };
    expect(redact(event)).toEqual(event);
    expect(redact("Bearer plain-string")).toBe("Bearer plain-string");
    expect(redact(42)).toBe(42);
    expect(redact(null)).toBeNull();
    expect(redact(undefined)).toBeUndefined();
  });

  it("returns a copy and leaves the input as it was", () => {
    const input = { headers: { authorization: "Bearer x", accept: "*/*" } };
    const out = redact(input);
    expect(out).not.toBe(input);
    expect(input.headers.authorization).toBe("Bearer x");
    expect(out.headers.authorization).toBe("[redacted]");
  });

  it("terminates on cyclic objects", () => {
    const cyclic: Record<string, unknown> = { name: "loop", token: "t" };
    cyclic.self = cyclic;
    const out = redact(cyclic);
    expect(out.token).toBe("[redacted]");
    expect(out.name).toBe("loop");
  });
});
