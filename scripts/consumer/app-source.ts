/**
 * The code of the consumer apps: one module that uses the generated clients (written once,
 * compiled in every setup and bundled for the browser), and its Node and browser entries.
 */

/** Calls both simulators through the generated clients and reports what came back. */
export const APP_SOURCE = `import { createDefaultClient } from "./default/index.js";
import { createMyApiClient } from "./my-api/index.js";
import { createFhirClient } from "./fhir/index.js";
import type { Patient } from "carewire/fhir/r4";
import { signWebhook, verifyWebhook } from "carewire/webhooks";

export async function runApp(urls: { readonly clinic: string; readonly fhir: string }): Promise<string> {
  const writer = createMyApiClient({ baseUrl: urls.clinic });
  const patient = { identifier: "MRN-7", givenName: "Ada", familyName: "Lovelace", birthDate: "1815-12-10" };
  // The same business key twice: one derived Idempotency-Key, one patient.
  const first = await writer.createPatient({ body: patient }, { businessKey: { mrn: patient.identifier } });
  if (first.error) throw first.error;
  const again = await writer.createPatient({ body: patient }, { businessKey: { mrn: patient.identifier } });
  if (again.error) throw again.error;
  const reader = createDefaultClient({ baseUrl: urls.clinic });
  const read = await reader.getPatient({ params: { path: { patientId: first.data.id } } });
  if (read.error) throw read.error;
  const listed = await reader.listPatients({});
  if (listed.error) throw listed.error;

  const fhir = createFhirClient({ baseUrl: urls.fhir });
  const resource: Patient = { resourceType: "Patient", name: [{ family: "Hopper", given: ["Grace"] }] };
  const created = await fhir.Patient.create(resource);
  if (created.error) throw created.error;
  const back = await fhir.Patient.read(created.data.id ?? "");
  if (back.error) throw back.error;

  // A webhook signed and verified with Web Crypto, as a receiver in Node or an edge runtime does.
  const secret = "whsec_" + btoa("consumer-app-secret-0123456789");
  const body = JSON.stringify({ type: "patient.updated", id: created.data.id });
  const headers = await signWebhook(body, { secret, id: "evt-1" });
  const hook = await verifyWebhook({ headers, body }, { secrets: [secret] });

  return JSON.stringify({
    webhook: { id: hook.id, type: hook.type },
    clinic: { familyName: read.data.familyName, provider: read.meta.provider, sameKey: first.data.id === again.data.id, listed: listed.data.data.length },
    fhir: { family: back.data.name?.[0]?.family, provider: back.meta.provider, created: created.created },
  });
}
`;

/** Node: the simulators' URLs from the environment, the report on stdout. */
export const NODE_ENTRY = `import { runApp } from "./app.js";

runApp({ clinic: process.env["CLINIC_URL"] ?? "", fhir: process.env["FHIR_URL"] ?? "" }).then(
  (report) => console.log(report),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
`;

/** Browser: the URLs from the page's query, the report on a global the test reads. */
export const BROWSER_ENTRY = `import { runApp } from "./app.js";

const query = new URLSearchParams(location.search);
const done = (report: string) => ((globalThis as { carewireReport?: string }).carewireReport = report);
runApp({ clinic: query.get("clinic") ?? "", fhir: query.get("fhir") ?? "" }).then(done, (error: unknown) => done(\`error: \${String(error)}\`));
`;
