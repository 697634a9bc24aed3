/**
 * Tolerant FHIR reading: elements R4 does not define (a newer version's fields, a server's
 * additions) are kept in the data and reported in meta; strict mode validates against the
 * official fhir.schema.json and turns violations into a typed error that keeps the body.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { fhirSchemaIssues, unknownFhirElements } from "carewire/fhir";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

const fhirJson = { "content-type": "application/fhir+json" };
const newerPatient = {
  resourceType: "Patient",
  id: "p1",
  birthDate: "1990-04-01",
  _birthDate: { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/patient-birthTime", valueDateTime: "1990-04-01T08:30:00Z" }] },
  name: [{ family: "Lovelace", given: ["Ada"], pronunciation: "LUV-lace" }],
  sexParameterForClinicalUse: [{ code: "female-typical" }], // an R5-era element
  extension: [{ url: "urn:example:vip", valueBoolean: true }],
};

describe("unknownFhirElements", () => {
  it("reports elements R4 does not define, by path; extensions and primitive extensions are known", () => {
    expect(unknownFhirElements(newerPatient).sort()).toEqual(["$.name[*].pronunciation", "$.sexParameterForClinicalUse"]);
  });

  it("reads resources inside Bundles and contained by their own type", () => {
    const bundle = { resourceType: "Bundle", type: "searchset", entry: [{ resource: newerPatient }, { resource: { resourceType: "Observation", status: "final", code: { text: "x" }, brandNew: 1 } }] };
    expect(unknownFhirElements(bundle).sort()).toEqual(["$.entry[*].resource.brandNew", "$.entry[*].resource.name[*].pronunciation", "$.entry[*].resource.sexParameterForClinicalUse"]);
  });

  it("reports a resource type R4 does not have", () => {
    expect(unknownFhirElements({ resourceType: "ActorDefinition", id: "x" })).toEqual(["$.resourceType"]);
  });
});

describe("FHIR client reading", () => {
  it("keeps unknown elements in data and lists them in meta.drift", async () => {
    server.handle((_req, res) => json(res, 200, newerPatient, fhirJson));
    const result = await createFhirR4Client({ baseUrl: server.url }).Patient.read("p1");
    expect(result.error).toBeUndefined();
    expect(result.data).toEqual(newerPatient);
    expect([...result.meta.drift.unknownFields].sort()).toEqual(["$.name[*].pronunciation", "$.sexParameterForClinicalUse"]);
  });

  it("with strict: true, a schema violation is a contract-violation error that keeps the body", async () => {
    const broken = { resourceType: "Patient", id: "p2", gender: "mostly", name: [{ family: 42 }] };
    server.handle((_req, res) => json(res, 200, broken, fhirJson));
    const result = await createFhirR4Client({ baseUrl: server.url, strict: true }).Patient.read("p2");
    expect(result.error).toMatchObject({ kind: "contract-violation", status: 200 });
    if (result.error?.kind !== "contract-violation") throw new Error("expected a contract violation");
    expect(result.error.data).toEqual(broken);
    expect(result.error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["$.gender", "$.name[0].family"]));
  });

  it("with strict: true, a valid resource reads as usual", async () => {
    const valid = { resourceType: "Patient", id: "p3", gender: "female", name: [{ family: "Hopper" }] };
    server.handle((_req, res) => json(res, 200, valid, fhirJson));
    const result = await createFhirR4Client({ baseUrl: server.url, strict: true }).Patient.read("p3");
    expect(result.error).toBeUndefined();
    expect(fhirSchemaIssues(valid)).toEqual([]);
  });
});
