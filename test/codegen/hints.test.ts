/**
 * The `x-carewire-*` vocabulary (docs/x-carewire.md): every valid form is read and
 * normalised; every malformed one is a one-line SpecError pointing at the bad field.
 */
import { describe, expect, it } from "@jest/globals";
import { readOperationHints, readRootRateLimit } from "../../src/codegen/hints.js";
import type { JsonObject } from "../../src/codegen/json.js";
import { SpecError } from "../../src/codegen/spec-error.js";
import { specErrorOf } from "../helpers/errors.js";

const FILE = "specs/acme/openapi.yaml";
const AT = ["paths", "/things/{id}", "post"];
const OP = "/paths/~1things~1{id}/post";

function hints(operation: JsonObject, root?: Parameters<typeof readOperationHints>[1]) {
  return readOperationHints(operation, root, { file: FILE, at: [...AT] });
}


describe("readOperationHints: valid vocabulary", () => {
  it("gives no hints for an operation without x-carewire-* keys and no root quota", () => {
    expect(hints({ operationId: "x", responses: {} })).toEqual({});
  });

  it("reads every x-carewire-rate-limit field", () => {
    const rateLimit = { limit: 120, windowSeconds: 0.5, scope: "client_id", algorithm: "token-bucket", bucket: "token" };
    expect(hints({ "x-carewire-rate-limit": rateLimit })).toEqual({ rateLimit });
  });

  it.each(["client_id", "tenant", "user", "ip", "global"])("accepts rate-limit scope %s", (scope) => {
    expect(hints({ "x-carewire-rate-limit": { scope } }).rateLimit).toEqual({ scope });
  });

  it.each(["sliding-window", "fixed-window", "token-bucket"])("accepts rate-limit algorithm %s", (algorithm) => {
    expect(hints({ "x-carewire-rate-limit": { algorithm } }).rateLimit).toEqual({ algorithm });
  });

  it("inherits the root quota and merges the operation's fields over it", () => {
    const root = { limit: 120, windowSeconds: 60, scope: "client_id", algorithm: "sliding-window" } as const;
    expect(hints({}, root)).toEqual({ rateLimit: root });
    expect(hints({ "x-carewire-rate-limit": { bucket: "token" } }, root)).toEqual({ rateLimit: { ...root, bucket: "token" } });
    expect(hints({ "x-carewire-rate-limit": { limit: 5, scope: "user" } }, root)).toEqual({
      rateLimit: { ...root, limit: 5, scope: "user" },
    });
  });

  it("reads x-carewire-idempotency: true as { header: Idempotency-Key, required: false }", () => {
    expect(hints({ "x-carewire-idempotency": true })).toEqual({ idempotency: { header: "Idempotency-Key", required: false } });
    // false: the provider ignores keys, so a key never makes a repeat safe there.
    expect(hints({ "x-carewire-idempotency": false })).toEqual({ idempotency: { header: "Idempotency-Key", required: false, automatic: false } });
  });

  it("reads an idempotency object, defaulting header and required", () => {
    expect(hints({ "x-carewire-idempotency": { header: "X-Request-Key", required: true } }).idempotency).toEqual({
      header: "X-Request-Key",
      required: true,
    });
    expect(hints({ "x-carewire-idempotency": {} }).idempotency).toEqual({ header: "Idempotency-Key", required: false });
    expect(hints({ "x-carewire-idempotency": { required: true } }).idempotency).toEqual({
      header: "Idempotency-Key",
      required: true,
    });
  });

  it("reads each cache policy with the durations it allows (0 is a valid duration)", () => {
    expect(hints({ "x-carewire-cache": { policy: "no-store" } }).cache).toEqual({ policy: "no-store" });
    expect(hints({ "x-carewire-cache": { policy: "revalidate", staleIfErrorSeconds: 300 } }).cache).toEqual({
      policy: "revalidate",
      staleIfErrorSeconds: 300,
    });
    expect(hints({ "x-carewire-cache": { policy: "max-age", maxAgeSeconds: 0, staleIfErrorSeconds: 0 } }).cache).toEqual({
      policy: "max-age",
      maxAgeSeconds: 0,
      staleIfErrorSeconds: 0,
    });
  });

  it.each(["critical", "interactive", "batch"])("accepts criticality %s", (criticality) => {
    expect(hints({ "x-carewire-criticality": criticality })).toEqual({ criticality });
  });

  it("reads all hints of one operation together", () => {
    expect(
      hints({
        "x-carewire-rate-limit": { bucket: "writes" },
        "x-carewire-idempotency": true,
        "x-carewire-cache": { policy: "no-store" },
        "x-carewire-criticality": "critical",
      }),
    ).toEqual({
      rateLimit: { bucket: "writes" },
      idempotency: { header: "Idempotency-Key", required: false },
      cache: { policy: "no-store" },
      criticality: "critical",
    });
  });
});

describe("readRootRateLimit", () => {
  it("returns undefined when the document has no root quota", () => {
    expect(readRootRateLimit({ openapi: "3.1.0" }, FILE)).toBeUndefined();
  });

  it("reads the root quota", () => {
    expect(readRootRateLimit({ "x-carewire-rate-limit": { limit: 1000, windowSeconds: 3600, scope: "tenant" } }, FILE)).toEqual({
      limit: 1000,
      windowSeconds: 3600,
      scope: "tenant",
    });
  });

  it("rejects a bad root quota with a pointer from the document root", () => {
    const error = specErrorOf(() => readRootRateLimit({ "x-carewire-rate-limit": { limit: 10, scope: "planet" } }, FILE));
    expect(error.kind).toBe("spec-invalid");
    expect(error.file).toBe(FILE);
    expect(error.where.pointer).toBe("/x-carewire-rate-limit/scope");
    expect(error.message).toBe(
      `${FILE}#/x-carewire-rate-limit/scope: must be one of client_id | tenant | user | ip | global, got "planet"`,
    );
  });

  it("rejects a root quota that is not an object", () => {
    expect(specErrorOf(() => readRootRateLimit({ "x-carewire-rate-limit": "120/min" }, FILE)).where.pointer).toBe(
      "/x-carewire-rate-limit",
    );
  });
});

describe("readOperationHints: invalid forms are one-line SpecErrors at the offending field", () => {
  const cases: Array<[string, JsonObject, string, RegExp]> = [
    ["rate-limit: unknown field", { "x-carewire-rate-limit": { limit: 1, burst: 5 } }, "/x-carewire-rate-limit/burst", /unknown field "burst" \(allowed: limit, windowSeconds, scope, algorithm, bucket, quotas\)/],
    ["rate-limit: not an object", { "x-carewire-rate-limit": 120 }, "/x-carewire-rate-limit", /must be an object/],
    ["rate-limit: wrong scope", { "x-carewire-rate-limit": { scope: "app" } }, "/x-carewire-rate-limit/scope", /must be one of client_id \| tenant \| user \| ip \| global, got "app"/],
    ["rate-limit: wrong algorithm", { "x-carewire-rate-limit": { algorithm: "leaky-bucket" } }, "/x-carewire-rate-limit/algorithm", /got "leaky-bucket"/],
    ["rate-limit: negative limit", { "x-carewire-rate-limit": { limit: -1 } }, "/x-carewire-rate-limit/limit", /must be a positive integer, got -1/],
    ["rate-limit: fractional limit", { "x-carewire-rate-limit": { limit: 1.5 } }, "/x-carewire-rate-limit/limit", /must be a positive integer, got 1.5/],
    ["rate-limit: zero window", { "x-carewire-rate-limit": { windowSeconds: 0 } }, "/x-carewire-rate-limit/windowSeconds", /must be a positive number, got 0/],
    ["rate-limit: window as a string", { "x-carewire-rate-limit": { windowSeconds: "60" } }, "/x-carewire-rate-limit/windowSeconds", /must be a positive number, got "60"/],
    ["rate-limit: empty bucket", { "x-carewire-rate-limit": { bucket: " " } }, "/x-carewire-rate-limit/bucket", /must be a non-empty string/],
    ["idempotency: unknown field", { "x-carewire-idempotency": { header: "Idempotency-Key", ttl: 60 } }, "/x-carewire-idempotency/ttl", /unknown field "ttl" \(allowed: header, required\)/],
    ["idempotency: header with a space", { "x-carewire-idempotency": { header: "Idempotency Key" } }, "/x-carewire-idempotency/header", /"Idempotency Key" is not a valid header name/],
    ["idempotency: header with a colon", { "x-carewire-idempotency": { header: "Idempotency-Key:" } }, "/x-carewire-idempotency/header", /is not a valid header name/],
    ["idempotency: empty header", { "x-carewire-idempotency": { header: "" } }, "/x-carewire-idempotency/header", /must be a non-empty string, got ""/],
    ["idempotency: required not boolean", { "x-carewire-idempotency": { required: "yes" } }, "/x-carewire-idempotency/required", /must be true or false, got "yes"/],
    ["idempotency: a string instead of true or an object", { "x-carewire-idempotency": "Idempotency-Key" }, "/x-carewire-idempotency", /must be an object/],
    ["cache: unknown field", { "x-carewire-cache": { policy: "revalidate", ttl: 5 } }, "/x-carewire-cache/ttl", /unknown field "ttl" \(allowed: policy, maxAgeSeconds, staleIfErrorSeconds\)/],
    ["cache: wrong policy", { "x-carewire-cache": { policy: "forever" } }, "/x-carewire-cache/policy", /must be one of no-store \| revalidate \| max-age, got "forever"/],
    ["cache: missing policy", { "x-carewire-cache": { maxAgeSeconds: 5 } }, "/x-carewire-cache/policy", /must be one of no-store \| revalidate \| max-age, got undefined/],
    ["cache: negative maxAgeSeconds", { "x-carewire-cache": { policy: "max-age", maxAgeSeconds: -5 } }, "/x-carewire-cache/maxAgeSeconds", /must be a number ≥ 0, got -5/],
    ["cache: negative staleIfErrorSeconds", { "x-carewire-cache": { policy: "revalidate", staleIfErrorSeconds: -1 } }, "/x-carewire-cache/staleIfErrorSeconds", /must be a number ≥ 0, got -1/],
    // Cross-field rules: no single field is wrong on its own, so the pointer names the hint object.
    ["cache: max-age without maxAgeSeconds", { "x-carewire-cache": { policy: "max-age" } }, "/x-carewire-cache", /policy max-age needs maxAgeSeconds/],
    ["cache: no-store with maxAgeSeconds", { "x-carewire-cache": { policy: "no-store", maxAgeSeconds: 60 } }, "/x-carewire-cache", /policy no-store cannot have maxAgeSeconds or staleIfErrorSeconds/],
    ["cache: no-store with staleIfErrorSeconds", { "x-carewire-cache": { policy: "no-store", staleIfErrorSeconds: 60 } }, "/x-carewire-cache", /policy no-store cannot have/],
    ["criticality: wrong value", { "x-carewire-criticality": "urgent" }, "/x-carewire-criticality", /must be one of critical \| interactive \| batch, got "urgent"/],
    ["criticality: not a string", { "x-carewire-criticality": 1 }, "/x-carewire-criticality", /got 1/],
  ];

  it.each(cases)("%s", (_label, operation, suffix, reason) => {
    const error = specErrorOf(() => hints(operation));
    expect(error).toBeInstanceOf(SpecError);
    expect(error.name).toBe("SpecError");
    expect(error.kind).toBe("spec-invalid");
    expect(error.file).toBe(FILE);
    expect(error.where.pointer).toBe(`${OP}${suffix}`);
    expect(error.reason).toMatch(reason);
    expect(error.message).toBe(`${FILE}#${OP}${suffix}: ${error.reason}`);
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it("keeps the message on one line even when the bad value itself contains a newline", () => {
    const error = specErrorOf(() => hints({ "x-carewire-idempotency": { header: "Idempotency-Key\nX-Evil: 1" } }));
    expect(error.where.pointer).toBe(`${OP}/x-carewire-idempotency/header`);
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).toBe(`${FILE}#${OP}/x-carewire-idempotency/header: "Idempotency-Key X-Evil: 1" is not a valid header name`);
  });

  it("rejects a bad operation quota even when a valid root quota would fill the gaps", () => {
    const error = specErrorOf(() => hints({ "x-carewire-rate-limit": { limit: 0 } }, { limit: 100, windowSeconds: 60 }));
    expect(error.where.pointer).toBe(`${OP}/x-carewire-rate-limit/limit`);
  });
});
