/**
 * Contract checks create a sample of every resource type a server declares: each must be
 * valid R4, with its required elements filled and required bindings taken from their value
 * sets. And a Bundle's entries are validated each by its own type, so an error names the
 * entry and the entry's own properties.
 */
import { describe, expect, it } from "@jest/globals";
import { fhirSchemaIssues } from "carewire/fhir";
import { sampleResource, sampleResourceTypes } from "../../src/testing/fhir/sample-resource.js";

describe("sample resources", () => {
  it("builds a schema-valid sample of each of the 146 R4 resource types", () => {
    const types = sampleResourceTypes();
    expect(types).toHaveLength(146);
    const invalid = types.map((type) => ({ type, issues: fhirSchemaIssues(sampleResource(type)) })).filter((r) => r.issues.length > 0);
    expect(invalid).toEqual([]);
  }, 120_000);

  it("fills required elements, backbone ones recursively, with codes from the bound value sets", () => {
    // status is required and bound to the request-status codes; intent and subject are required.
    expect(sampleResource("ServiceRequest")).toEqual({ resourceType: "ServiceRequest", status: "draft", intent: "proposal", subject: { display: "carewire contract" } });
    // A required backbone element (a Claim's insurance) gets its own required elements.
    const claim = sampleResource("Claim")!;
    expect(claim).toMatchObject({ status: "active", use: "claim", patient: { display: "carewire contract" } });
    expect((claim.insurance as Array<Record<string, unknown>>)[0]).toMatchObject({ sequence: 1, focal: true, coverage: { display: "carewire contract" } });
  });

  it("hands out a fresh copy each time, the built sample cached per type", () => {
    const first = sampleResource("Patient")!;
    first.gender = "other";
    expect(sampleResource("Patient")).toEqual({ resourceType: "Patient" });
    expect(sampleResource("NotAType")).toBeUndefined();
  });
});

describe("validating a Bundle", () => {
  it("validates each entry by its own resource type: the errors name the entry index and the resource's own properties", () => {
    const bundle = {
      resourceType: "Bundle",
      type: "collection",
      entry: [{ resource: { resourceType: "Patient", gender: "mostly" } }, { resource: { resourceType: "Observation", status: "final", code: { text: "x" }, colour: "red" } }],
    };
    const issues = fhirSchemaIssues(bundle);
    expect(issues.map((i) => i.path).sort()).toEqual(["$.entry[0].resource.gender", "$.entry[1].resource.colour"]);
  }, 60_000);

  it("validates a response entry's outcome as an OperationOutcome", () => {
    const issues = fhirSchemaIssues({ resourceType: "Bundle", type: "batch-response", entry: [{ response: { status: "400", outcome: { resourceType: "OperationOutcome", issue: [{ severity: "fatal-ish", code: "invalid" }] } } }] });
    expect(issues.map((i) => i.path)).toEqual(["$.entry[0].response.outcome.issue[0].severity"]);
  }, 60_000);
});
