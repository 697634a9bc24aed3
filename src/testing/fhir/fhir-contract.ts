/**
 * A contract run for a FHIR server against its CapabilityStatement (`carewire contract
 * <capability.json>`): for each declared resource type, every declared interaction in a
 * life-cycle order (create, read, vread, search, patch, update, history, delete) on a valid
 * sample of the type; then the declared system interactions (transaction, batch). Every
 * answer is validated against the official R4 schema. Each check passes, fails, or is not
 * exercised, with the reason. Without a base URL it runs against carewire's FHIR
 * simulator, started in-process.
 */
import type { Bundle, BundleEntry, Resource } from "fhir/r4.js";
import { loadCapability, type DeclaredResource } from "../../codegen/fhir/capability.js";
import { createFhirClient, type FhirResult, type ResourceClient, type SystemClient } from "../../fhir/client.js";
import { readEntryOutcomes } from "../../fhir/bundle-response.js";
import type { TokenSource } from "../../runtime/auth/token-source.js";
import type { ClientCredentialsOptions } from "../../runtime/auth/client-credentials.js";
import { isRequestRefusal, notExercised, verdictOf, type CheckVerdict, type FhirCheckOutcome } from "./check-outcome.js";
import { startFhirSimulator } from "./fhir-simulator.js";
import { sampleResource } from "./sample-resource.js";

export type { FhirCheckOutcome } from "./check-outcome.js";

export interface FhirContractOptions {
  /** The server to check; default: carewire's FHIR simulator serving the statement. */
  readonly baseUrl?: string;
  readonly auth?: ClientCredentialsOptions | TokenSource;
  readonly headers?: Readonly<Record<string, string>>;
  /** Only these resource types (default: every declared one). */
  readonly resources?: readonly string[];
  /** Resource types checked at the same time (default 4): a server is not to be flooded. */
  readonly concurrency?: number;
}

export interface FhirContractCheck {
  /** The resource type, or `system` for transaction and batch. */
  readonly resourceType: string;
  readonly interaction: string;
  readonly outcome: FhirCheckOutcome;
  /** Whether it passed (a check not exercised did not). */
  readonly ok: boolean;
  readonly status: number | undefined;
  readonly problems: readonly string[];
  /** Why the check was not exercised. */
  readonly reason?: string;
}

export interface FhirContractReport {
  readonly baseUrl: string;
  readonly checks: readonly FhirContractCheck[];
  readonly passed: number;
  readonly failed: number;
  readonly notExercised: number;
}

type Api = Partial<ResourceClient<Resource, object>>;

/** The change a patch check makes: every resource has `language`. */
const PATCH: Array<{ op: "add"; path: string; value: string }> = [{ op: "add", path: "/language", value: "en" }];

export async function runFhirContract(capabilityFile: string, options: FhirContractOptions = {}): Promise<FhirContractReport> {
  const capability = await loadCapability(capabilityFile);
  const simulator = options.baseUrl === undefined ? await startFhirSimulator({ capability: capabilityFile }) : undefined;
  const baseUrl = options.baseUrl ?? simulator!.url;
  try {
    const client = createFhirClient(
      { provider: "contract", baseUrl, strict: true, pacing: { limit: Infinity }, ...(options.auth ? { auth: options.auth } : {}), ...(options.headers ? { headers: options.headers } : {}) },
      { resources: Object.fromEntries(capability.resources.map((r) => [r.type, r.interactions])), system: capability.system },
    );
    const selected = capability.resources.filter((r) => !options.resources || options.resources.includes(r.type));
    const perType = await mapLimited(selected, Math.max(1, options.concurrency ?? 4), (declared) => checkType(declared, client.resources[declared.type] as Api));
    const checks = [...perType.flat(), ...(await checkSystem(client.system, selected))];
    const count = (outcome: FhirCheckOutcome) => checks.filter((c) => c.outcome === outcome).length;
    return { baseUrl, checks, passed: count("passed"), failed: count("failed"), notExercised: count("notExercised") };
  } finally {
    await simulator?.close();
  }
}

function check(resourceType: string, interaction: string, verdict: CheckVerdict, status?: number): FhirContractCheck {
  return { resourceType, interaction, outcome: verdict.outcome, ok: verdict.outcome === "passed", status, problems: verdict.problems, ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}) };
}

function fromResult(resourceType: string, interaction: string, result: FhirResult<unknown>, problems: string[] = []): FhirContractCheck {
  return check(resourceType, interaction, verdictOf(result.error, result.error ? [] : problems), result.response?.status);
}

/** One type's declared interactions, in the order a resource lives through them. */
async function checkType(declared: DeclaredResource, api: Api): Promise<FhirContractCheck[]> {
  const type = declared.type;
  const has = (i: string) => declared.interactions.includes(i as never);
  const checks: FhirContractCheck[] = [];
  const byId = declared.searchParams.some((p) => p.name === "_id");
  const sample = sampleResource(type) as unknown as Resource | undefined;

  let written: Resource | undefined;
  if (has("create")) {
    if (sample === undefined) checks.push(check(type, "create", notExercised(`${type} is not an R4 resource type: there is no valid sample to create`)));
    else {
      const created = await api.create!(sample);
      checks.push(fromResult(type, "create", created, created.data && !created.data.id ? ["the created resource has no id"] : []));
      written = created.data;
    }
  }
  const id = written?.id;
  if (id === undefined) {
    // Without a resource of our own only a search can be checked.
    if (has("search-type")) checks.push(fromResult(type, "search-type", await api.search!({ _count: 1 })));
    const why = has("create") ? "no resource was created to run it on" : "the type declares no create, so there is no resource of the check's own to run it on";
    for (const i of ["read", "vread", "patch", "update", "history-instance", "delete"]) if (has(i)) checks.push(check(type, i, notExercised(why)));
    return checks;
  }
  if (has("read")) {
    const read = await api.read!(id);
    checks.push(fromResult(type, "read", read, read.data && read.data.id !== id ? [`read returned id ${String(read.data.id)}`] : []));
    written = read.data ?? written;
  }
  if (has("vread")) {
    const version = written?.meta?.versionId;
    if (version) checks.push(fromResult(type, "vread", await api.vread!(id, version)));
    else checks.push(check(type, "vread", { outcome: "failed", problems: ["vread is declared, but the resource carries no meta.versionId to read"] }));
  }
  if (has("search-type")) {
    const found = await api.search!(byId ? { _id: id } : { _count: 1 });
    const matched = found.data?.entry?.some((e) => e.resource?.id === id) ?? false;
    checks.push(fromResult(type, "search-type", found, found.data && byId && !matched ? [`a search by _id=${id} did not find it`] : []));
  }
  if (has("patch")) {
    const patched = await api.patch!(id, PATCH);
    const language = (patched.data as { language?: unknown } | undefined)?.language;
    checks.push(fromResult(type, "patch", patched, patched.data && language !== "en" ? ["the patched resource does not carry the change (language en)"] : []));
    if (patched.data?.meta?.versionId) written = patched.data;
  }
  if (has("update") && written) {
    const version = written.meta?.versionId;
    const updated = await api.update!({ ...written, id } as Resource & { id: string }, { ifMatch: version ?? false });
    checks.push(fromResult(type, "update", updated));
  }
  if (has("history-instance")) {
    const history = await api.history!(id);
    checks.push(fromResult(type, "history-instance", history, history.data && !(history.data.entry?.length) ? ["the history has no entry for a resource just written"] : []));
  }
  if (has("delete")) checks.push(fromResult(type, "delete", await api.delete!(id)));
  return checks;
}

/** Transaction and batch, each with creates of a type that declares create (Patient when it does). */
async function checkSystem(system: Partial<SystemClient>, declared: readonly DeclaredResource[]): Promise<FhirContractCheck[]> {
  const creatable = declared.filter((r) => r.interactions.includes("create") && sampleResource(r.type) !== undefined);
  const target = creatable.find((r) => r.type === "Patient") ?? creatable[0];
  const checks: FhirContractCheck[] = [];
  for (const interaction of ["transaction", "batch"] as const) {
    const send = system[interaction];
    if (send === undefined) continue;
    if (target === undefined) {
      checks.push(check("system", interaction, notExercised("no declared type can be created, so there is nothing to put in the Bundle")));
      continue;
    }
    const create = (n: number): BundleEntry => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${n}`,
      resource: sampleResource(target.type) as unknown as Resource,
      request: { method: "POST", url: target.type },
    });
    const entries: BundleEntry[] = [create(1), create(2)];
    if (interaction === "batch" && target.interactions.includes("search-type")) entries.push({ request: { method: "GET", url: `${target.type}?_count=1` } });
    const result = await send({ resourceType: "Bundle", type: interaction, entry: entries } as Bundle);
    checks.push(result.data ? bundleCheck(interaction, result.data, result.response.status) : fromResult("system", interaction, result));
  }
  return checks;
}

/**
 * A transaction or batch answer beyond the client's own checks: its type, and every entry
 * taken. A batch whose failed entries were all refused for what they sent was not exercised.
 */
function bundleCheck(interaction: "transaction" | "batch", bundle: Bundle, status: number): FhirContractCheck {
  const problems: string[] = [];
  if (bundle.type !== `${interaction}-response`) problems.push(`the answer is a ${String(bundle.type)} Bundle, not a ${interaction}-response`);
  const outcomes = readEntryOutcomes(bundle, status);
  const failed = Array.isArray(outcomes) ? outcomes.filter((o) => !o.ok) : [];
  const entries = failed.map((o) => `entry ${o.index} answered ${o.status}`);
  if (problems.length === 0 && failed.length > 0 && failed.every((o) => isRequestRefusal(o.status))) {
    return check("system", interaction, notExercised(`the server refused the entries it was sent (${entries.join("; ")})`), status);
  }
  return check("system", interaction, verdictOf(undefined, [...problems, ...entries]), status);
}

/** `work` on every item, at most `limit` at a time; results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
