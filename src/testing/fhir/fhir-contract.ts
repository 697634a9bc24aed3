/**
 * A contract run for a FHIR server against its CapabilityStatement (`carewire contract
 * <capability.json>`): for each declared resource type, the declared interactions in a
 * life-cycle order (create, read, vread, search by _id, update, history, delete), each
 * answer validated against the official R4 schema. Without a base URL it runs against
 * carewire's FHIR simulator, started in-process.
 */
import type { Resource } from "fhir/r4.js";
import { loadCapability } from "../../codegen/fhir/capability.js";
import { createFhirClient, type FhirResult, type ResourceClient } from "../../fhir/client.js";
import type { TokenSource } from "../../runtime/auth/token-source.js";
import type { ClientCredentialsOptions } from "../../runtime/auth/client-credentials.js";
import { startFhirSimulator } from "./fhir-simulator.js";

export interface FhirContractOptions {
  /** The server to check; default: carewire's FHIR simulator serving the statement. */
  readonly baseUrl?: string;
  readonly auth?: ClientCredentialsOptions | TokenSource;
  readonly headers?: Readonly<Record<string, string>>;
  /** Only these resource types (default: every declared one). */
  readonly resources?: readonly string[];
}

export interface FhirContractCheck {
  readonly resourceType: string;
  readonly interaction: string;
  readonly ok: boolean;
  readonly status: number | undefined;
  readonly problems: readonly string[];
}

export interface FhirContractReport {
  readonly baseUrl: string;
  readonly checks: readonly FhirContractCheck[];
  readonly passed: number;
  readonly failed: number;
}

/** The smallest valid resource of each type the checks create (others get only their type). */
const SAMPLES: Record<string, (n: string) => Record<string, unknown>> = {
  Patient: (n) => ({ identifier: [{ system: "urn:carewire:contract", value: n }], name: [{ family: "Contract", given: ["Check"] }], gender: "unknown" }),
  Practitioner: (n) => ({ identifier: [{ system: "urn:carewire:contract", value: n }], name: [{ family: "Contract" }] }),
  Encounter: () => ({ status: "finished", class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" } }),
  Observation: () => ({ status: "final", code: { text: "carewire contract check" } }),
  Appointment: () => ({ status: "proposed", participant: [{ status: "needs-action", actor: { display: "carewire contract" } }] }),
  Provenance: () => ({ target: [{ reference: "Patient/carewire-contract" }], recorded: new Date().toISOString(), agent: [{ who: { display: "carewire contract" } }] }),
};

export async function runFhirContract(capabilityFile: string, options: FhirContractOptions = {}): Promise<FhirContractReport> {
  const capability = await loadCapability(capabilityFile);
  const simulator = options.baseUrl === undefined ? await startFhirSimulator({ capability: capabilityFile }) : undefined;
  const baseUrl = options.baseUrl ?? simulator!.url;
  try {
    const client = createFhirClient(
      { provider: "contract", baseUrl, strict: true, pacing: { limit: Infinity }, ...(options.auth ? { auth: options.auth } : {}), ...(options.headers ? { headers: options.headers } : {}) },
      { resources: Object.fromEntries(capability.resources.map((r) => [r.type, r.interactions])), system: capability.system },
    );
    const checks: FhirContractCheck[] = [];
    const record = (resourceType: string, interaction: string, result: FhirResult<unknown>, extra: string[] = []) => {
      const problems = [...(result.error ? [`${result.error.kind}: ${result.error.message}`] : []), ...extra];
      checks.push({ resourceType, interaction, ok: problems.length === 0, status: result.response?.status, problems });
    };
    for (const declared of capability.resources) {
      if (options.resources && !options.resources.includes(declared.type)) continue;
      const api = client.resources[declared.type] as Partial<ResourceClient<Resource, object>>;
      const has = (i: string) => declared.interactions.includes(i as never);
      const sample = { resourceType: declared.type, ...(SAMPLES[declared.type]?.(`c-${Date.now()}`) ?? {}) } as Resource;
      let written: Resource | undefined;
      if (has("create")) {
        const created = await api.create!(sample);
        record(declared.type, "create", created, created.data && !created.data.id ? ["the created resource has no id"] : []);
        written = created.data;
      }
      const id = written?.id;
      if (id === undefined) {
        if (has("search-type")) record(declared.type, "search-type", await api.search!({ _count: 1 }));
        continue;
      }
      if (has("read")) {
        const read = await api.read!(id);
        record(declared.type, "read", read, read.data && read.data.id !== id ? [`read returned id ${String(read.data.id)}`] : []);
        written = read.data ?? written;
      }
      const version = written?.meta?.versionId;
      if (has("vread") && version) record(declared.type, "vread", await api.vread!(id, version));
      if (has("search-type")) {
        const found = await api.search!(declared.searchParams.some((p) => p.name === "_id") ? { _id: id } : { _count: 1 });
        const matched = found.data?.entry?.some((e) => e.resource?.id === id) ?? false;
        record(declared.type, "search-type", found, found.data && declared.searchParams.some((p) => p.name === "_id") && !matched ? [`a search by _id=${id} did not find it`] : []);
      }
      if (has("update") && written) {
        const updated = await api.update!({ ...written, id, meta: { ...written.meta } } as Resource & { id: string });
        record(declared.type, "update", updated);
      }
      if (has("history-instance")) record(declared.type, "history-instance", await api.history!(id));
      if (has("delete")) record(declared.type, "delete", await api.delete!(id));
    }
    const failed = checks.filter((c) => !c.ok).length;
    return { baseUrl, checks, passed: checks.length - failed, failed };
  } finally {
    await simulator?.close();
  }
}
