/**
 * The FHIR price list of a points quota, as Medplum weighs interactions: read 1, history
 * 10, search 20, writes 100; a batch or transaction costs what its entries cost. Each
 * interaction's descriptor carries its price; the client prices a Bundle when it sends it.
 */
import { describe, expect, it } from "@jest/globals";
import { bundlePoints, entryInteraction, FHIR_INTERACTION_POINTS, FHIR_POINTS_QUOTA, interactionOperation } from "carewire/fhir";

describe("FHIR prices", () => {
  it("prices each interaction's descriptor in the fhirInteractions quota", () => {
    expect(FHIR_POINTS_QUOTA).toBe("fhirInteractions");
    const priced = (i: Parameters<typeof interactionOperation>[1]) => interactionOperation("Patient", i).hints.cost;
    expect(priced("read")).toEqual({ fhirInteractions: 1 });
    expect(priced("vread")).toEqual({ fhirInteractions: 1 });
    expect(priced("history-instance")).toEqual({ fhirInteractions: 10 });
    expect(priced("search-type")).toEqual({ fhirInteractions: 20 });
    for (const write of ["create", "update", "patch", "delete"] as const) expect(priced(write)).toEqual({ fhirInteractions: 100 });
    // A Bundle not yet seen is priced as one write.
    expect(interactionOperation("", "transaction").hints.cost).toEqual({ fhirInteractions: 100 });
  });

  it.each([
    ["GET", "Patient/1", "read"],
    ["GET", "Patient/1/_history/2", "vread"],
    ["GET", "Patient/1/_history", "history-instance"],
    ["GET", "Patient?name=x", "search-type"],
    ["GET", "Patient", "search-type"],
    ["POST", "Patient/_search", "search-type"],
    ["POST", "Patient", "create"],
    ["PUT", "Patient/1", "update"],
    ["PUT", "Patient?identifier=a|b", "update"],
    ["PATCH", "Patient/1", "patch"],
    ["DELETE", "Patient/1", "delete"],
    ["GET", "https://fhir.example/R4/Patient/1", "read"],
    ["GET", "Patient/$everything", undefined],
    ["GET", "Patient/1/$everything", undefined],
    ["GET", "_history", undefined],
    ["OPTIONS", "Patient", undefined],
    [undefined, "Patient", undefined],
  ])("reads %s %s as %s", (method, url, interaction) => {
    expect(entryInteraction(method, url)).toBe(interaction);
  });

  it("prices a Bundle as the sum of its entries, an entry it cannot tell as a write", () => {
    const entry = (method: string, url: string) => ({ request: { method, url } });
    const bundle = { resourceType: "Bundle", type: "batch", entry: [entry("GET", "Patient/1"), entry("GET", "Patient?name=x"), entry("POST", "Patient"), entry("GET", "Patient/1/$everything")] };
    expect(bundlePoints(bundle)).toBe(1 + 20 + 100 + 100);
    expect(bundlePoints(bundle, { ...FHIR_INTERACTION_POINTS, "search-type": 5 })).toBe(1 + 5 + 100 + 100);
    expect(bundlePoints({ resourceType: "Bundle", entry: [{}, null] })).toBe(200);
    expect(bundlePoints({ resourceType: "Bundle", entry: [] })).toBe(100);
    expect(bundlePoints("not a bundle")).toBe(100);
  });
});
