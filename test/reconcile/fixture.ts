/**
 * Ten thousand patients the app believes it delivered, and a FHIR simulator holding what the
 * provider really has: 50 of them missing, 50 with another family name, and 50 the app never
 * sent (so 9,900 match exactly).
 */
import { writeFile } from "node:fs/promises";
import type { Patient } from "fhir/r4.js";
import type { FhirSimulator } from "../../src/testing/fhir/fhir-simulator.js";
import type { StoredResource } from "../../src/testing/fhir/fhir-store.js";

export const MRN = "urn:carewire:test:mrn";
export const SOURCE_COUNT = 10_000;

export const mrn = (n: number) => `M-${String(n).padStart(5, "0")}`;
export const isMissing = (n: number) => n % 200 === 7;
export const isDifferent = (n: number) => n % 200 === 13;
export const extraMrn = (n: number) => `X-${String(n).padStart(3, "0")}`;

export function sourcePatient(n: number): Patient {
  return { resourceType: "Patient", identifier: [{ system: MRN, value: mrn(n) }], name: [{ family: `Family${n}`, given: ["Pat"] }], birthDate: "1980-01-01", gender: "unknown" };
}

export function sourcePatients(): Patient[] {
  return Array.from({ length: SOURCE_COUNT }, (_, n) => sourcePatient(n));
}

/** The provider's side, written straight into the simulator's store (no HTTP: the test stays quick). */
export function seedProvider(sim: FhirSimulator): void {
  for (let n = 0; n < SOURCE_COUNT; n++) {
    if (isMissing(n)) continue;
    const p = sourcePatient(n);
    const stored = isDifferent(n) ? { ...p, name: [{ family: `Changed${n}`, given: ["Pat"] }] } : p;
    sim.store.put({ ...stored, id: `p-${n}` } as unknown as StoredResource);
  }
  for (let n = 0; n < 50; n++) sim.store.put({ ...sourcePatient(0), identifier: [{ system: MRN, value: extraMrn(n) }], id: `x-${n}` } as unknown as StoredResource);
  // Patients under another system are none of this reconciliation's business.
  for (let n = 0; n < 10; n++) sim.store.put({ resourceType: "Patient", identifier: [{ system: "urn:other", value: mrn(n) }], id: `o-${n}` });
}

export async function writeNdjson(file: string, patients: readonly Patient[]): Promise<void> {
  await writeFile(file, `${patients.map((p) => JSON.stringify(p)).join("\n")}\n`);
}

/** The report every run over this data must give (durationMs aside). */
export function expectedReport() {
  const all = Array.from({ length: SOURCE_COUNT }, (_, n) => n);
  return {
    missing: all.filter(isMissing).map(mrn),
    extra: Array.from({ length: 50 }, (_, n) => extraMrn(n)),
    different: all.filter(isDifferent).map((n) => ({ key: mrn(n), fields: ["name[0].family"] })),
    matched: 9_900,
    sourceCount: 10_000,
    targetCount: 10_000,
    duplicates: [],
    extraChecked: true,
  };
}
