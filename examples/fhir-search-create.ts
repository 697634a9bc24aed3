/**
 * FHIR R4 through the generated client and carewire's FHIR simulator: a conditional create
 * (safe to repeat: the server finds the patient by its identifier the second time), a typed
 * search, and every page of a search followed for you.
 *
 *   npx tsx --conditions=carewire-source examples/fhir-search-create.ts
 */
import { fileURLToPath } from "node:url";
import type { Patient } from "fhir/r4.js";
import { startFhirSimulator } from "carewire/testing";
import { createFhirR4Client } from "../generated/fhir-r4/index.js";

const capability = fileURLToPath(new URL("../specs/fhir-r4/capability.json", import.meta.url));
const sim = await startFhirSimulator({ capability, defaultPageSize: 2 });

try {
  const fhir = createFhirR4Client({ baseUrl: sim.url, deadlineMs: 20_000 });
  const patient = (mrn: string, family: string, given: string): Patient => ({
    resourceType: "Patient",
    identifier: [{ system: "urn:example:mrn", value: mrn }],
    name: [{ family, given: [given] }],
    birthDate: "1987-04-12",
  });

  for (const [mrn, family, given] of [["MRN-1", "Quill", "Juniper"], ["MRN-2", "Quill", "Rowan"], ["MRN-3", "Quill", "Ash"]] as const) {
    // `ensure` is a create with If-None-Exist on the resource's identifiers: run it twice, get one patient.
    const first = await fhir.Patient.ensure(patient(mrn, family, given));
    const again = await fhir.Patient.ensure(patient(mrn, family, given));
    if (first.error) throw first.error;
    if (again.error) throw again.error;
    console.log(`${mrn}: ${first.data.id} created=${String(first.created)}, again: ${again.data.id} created=${String(again.created)}`);
  }

  // Search parameters are typed from the CapabilityStatement: a wrong name does not compile.
  const page = await fhir.Patient.search({ family: "Quill", _count: 2, _sort: "given" });
  if (page.error) throw page.error;
  console.log(`first page: ${page.data.entry?.length ?? 0} of ${page.data.total ?? "?"} (${page.meta.attempts.length} attempt)`);

  const names: string[] = [];
  for await (const found of fhir.Patient.searchAll({ family: "Quill" })) names.push(found.name?.[0]?.given?.[0] ?? "?");
  console.log(`all pages: ${names.join(", ")}`);
  console.log(`server: ${sim.store.count("Patient")} Patient resources`);
} finally {
  await sim.close();
}
