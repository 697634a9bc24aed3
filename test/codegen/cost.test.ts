/**
 * `x-carewire-cost` and the quotas of `x-carewire-rate-limit`: what one call of an
 * operation spends of each quota the provider counts. Valid forms are normalised into the
 * registry's hints; a bad value is a one-line SpecError naming the file and the JSON
 * pointer of the offending field.
 */
import { describe, expect, it } from "@jest/globals";
import { buildRegistry } from "../../src/codegen/build-registry.js";
import type { JsonObject } from "../../src/codegen/json.js";
import { specErrorOf } from "../helpers/errors.js";

const FILE = "specs/points/openapi.yaml";
const OK = { "200": { description: "ok" } };

function registry(paths: JsonObject, root: JsonObject = {}) {
  return buildRegistry({ openapi: "3.0.3", info: { title: "points", version: "1" }, paths, ...root }, FILE).map((e) => e.descriptor);
}

const search = (extension: JsonObject) => ({ "/Patient": { get: { operationId: "searchPatients", responses: OK, ...extension } } });

describe("x-carewire-cost: valid forms", () => {
  it("reads a number as units of the requests quota", () => {
    expect(registry(search({ "x-carewire-cost": 3 }))[0]!.hints).toEqual({ cost: { requests: 3 } });
  });

  it("reads an object as units of each quota it names", () => {
    expect(registry(search({ "x-carewire-cost": { fhirInteractions: 20 } }))[0]!.hints.cost).toEqual({ fhirInteractions: 20 });
    expect(registry(search({ "x-carewire-cost": { requests: 2, points: 0.5 } }))[0]!.hints.cost).toEqual({ requests: 2, points: 0.5 });
  });

  it("gives an operation without it no cost (one unit of every quota at run time)", () => {
    expect(registry(search({}))[0]!.hints).toEqual({});
  });
});

describe("x-carewire-rate-limit: quotas beside requests", () => {
  it("reads named quotas at the root and lets an operation add or replace one", () => {
    const all = registry(
      {
        "/Patient": { get: { operationId: "searchPatients", responses: OK } },
        "/Bulk": { get: { operationId: "bulk", responses: OK, "x-carewire-rate-limit": { quotas: { exports: { limit: 2, windowSeconds: 3600 } } } } },
      },
      { "x-carewire-rate-limit": { limit: 100, windowSeconds: 60, quotas: { fhirInteractions: { limit: 5000, windowSeconds: 60 } } } },
    );
    expect(all[0]!.hints.rateLimit).toEqual({ limit: 100, windowSeconds: 60, quotas: { fhirInteractions: { limit: 5000, windowSeconds: 60 } } });
    expect(all[1]!.hints.rateLimit?.quotas).toEqual({ fhirInteractions: { limit: 5000, windowSeconds: 60 }, exports: { limit: 2, windowSeconds: 3600 } });
  });
});

describe("x-carewire-cost and quotas: invalid forms", () => {
  const OP = "/paths/~1Patient/get";
  const cases: Array<[string, JsonObject, string, RegExp]> = [
    ["zero", { "x-carewire-cost": 0 }, "/x-carewire-cost", /must be a positive number, got 0/],
    ["negative", { "x-carewire-cost": -20 }, "/x-carewire-cost", /must be a positive number, got -20/],
    ["a string", { "x-carewire-cost": "20" }, "/x-carewire-cost", /must be a number > 0 or an object of quota names to numbers > 0, got "20"/],
    ["an array", { "x-carewire-cost": [20] }, "/x-carewire-cost", /must be a number > 0 or an object/],
    ["an empty object", { "x-carewire-cost": {} }, "/x-carewire-cost", /names no quota/],
    ["a quota priced at zero", { "x-carewire-cost": { fhirInteractions: 0 } }, "/x-carewire-cost/fhirInteractions", /must be a positive number, got 0/],
    ["a quota priced as text", { "x-carewire-cost": { fhirInteractions: "lots" } }, "/x-carewire-cost/fhirInteractions", /got "lots"/],
    ["a quota name with a space", { "x-carewire-cost": { "fhir points": 1 } }, "/x-carewire-cost/fhir points", /"fhir points" is not a quota name/],
    ["a quota without a window", { "x-carewire-rate-limit": { quotas: { points: { limit: 10 } } } }, "/x-carewire-rate-limit/quotas/points/windowSeconds", /must be a positive number, got undefined/],
    ["a quota with an unknown field", { "x-carewire-rate-limit": { quotas: { points: { limit: 10, windowSeconds: 60, burst: 1 } } } }, "/x-carewire-rate-limit/quotas/points/burst", /unknown field "burst"/],
    ["requests among the quotas", { "x-carewire-rate-limit": { quotas: { requests: { limit: 10, windowSeconds: 60 } } } }, "/x-carewire-rate-limit/quotas/requests", /stated by limit and windowSeconds/],
  ];

  it.each(cases)("rejects %s with the file and JSON pointer", (_label, extension, suffix, reason) => {
    const error = specErrorOf(() => registry(search(extension)));
    expect(error.kind).toBe("spec-invalid");
    expect(error.file).toBe(FILE);
    expect(error.where.pointer).toBe(`${OP}${suffix}`);
    expect(error.reason).toMatch(reason);
    expect(error.message).toBe(`${FILE}#${OP}${suffix}: ${error.reason}`);
  });
});
