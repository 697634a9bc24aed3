/**
 * One instance of an app writing patients to a FHIR server through the generated FHIR
 * client, in its own process: `tsx test/helpers/fhir-fleet-worker.ts '<settings json>'`.
 * No store option: the fleet shares its quota only if CAREWIRE_REDIS_URL is set. Prints one
 * JSON line: how many writes succeeded, and the kinds of the ones that did not.
 */
import type { Patient } from "fhir/r4.js";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";

interface Settings {
  readonly baseUrl: string;
  readonly instance: number;
  readonly patients: number;
  readonly concurrency: number;
}

const settings = JSON.parse(process.argv[2] ?? "{}") as Settings;
const fhir = createFhirR4Client({ baseUrl: settings.baseUrl });
let next = 0;
let ok = 0;
const failures: Record<string, number> = {};
await Promise.all(
  Array.from({ length: settings.concurrency }, async () => {
    while (next < settings.patients) {
      const mrn = `MRN-${settings.instance}-${String(next++).padStart(4, "0")}`;
      const patient: Patient = { resourceType: "Patient", identifier: [{ system: "urn:carewire:test:mrn", value: mrn }], name: [{ family: `F${mrn}` }] };
      const result = await fhir.Patient.ensure(patient, { businessKey: { mrn } });
      if (result.error === undefined) ok++;
      else failures[result.error.kind] = (failures[result.error.kind] ?? 0) + 1;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ ok, failures })}\n`);
process.exit(0);
