/**
 * Reads a FHIR R4 CapabilityStatement (JSON) into what codegen needs: per resource type
 * the declared interactions and search parameters, plus system interactions. Anything
 * malformed is a SpecError with the JSON pointer of the offending part.
 */
import { open, readFile } from "node:fs/promises";
import { isObject, type JsonObject } from "../json.js";
import { SpecError } from "../spec-error.js";
import { isHttpUrl } from "../spec-location.js";
import type { SystemInteraction, TypeInteraction } from "../../fhir/interactions.js";

export interface DeclaredSearchParam {
  readonly name: string;
  readonly type: string;
  readonly definition?: string;
  readonly documentation?: string;
}

export interface DeclaredResource {
  readonly type: string;
  readonly interactions: readonly TypeInteraction[];
  readonly searchParams: readonly DeclaredSearchParam[];
}

export interface CapabilityModel {
  /** The statement's title (or name), for the generated client's documentation. */
  readonly title: string;
  /** As the statement declares it (an R4 `4.0.x`). */
  readonly fhirVersion: string;
  /** The resource types the server declares, with their interactions and search parameters. */
  readonly resources: readonly DeclaredResource[];
  /** Whole-system interactions (`transaction`, `batch`). */
  readonly system: readonly SystemInteraction[];
  /** System-level operations (`export`, …), by name. */
  readonly operations: readonly string[];
  /** The statement as read (simulators serve it at `GET [base]`). */
  readonly document: JsonObject;
}

const TYPE_INTERACTIONS = new Set<string>(["read", "vread", "search-type", "create", "update", "patch", "delete", "history-instance"]);
/** Valid R4 interactions the generated client does not offer (yet): declared, then left out. */
const NOT_GENERATED = new Set<string>(["history-type"]);
const SYSTEM_INTERACTIONS = new Set<string>(["transaction", "batch"]);
const SEARCH_TYPES = new Set(["number", "date", "string", "token", "reference", "composite", "quantity", "uri", "special"]);

/** Whether a spec file is a CapabilityStatement rather than an OpenAPI document. */
export async function isCapabilityStatementFile(file: string): Promise<boolean> {
  // Whatever its name (`metadata`, `capability.fhir`): a URL is not a file, and is read as OpenAPI.
  if (isHttpUrl(file)) return false;
  // Sniff the first 4 kB only: an OpenAPI JSON document (GitHub's is 13 MB) never names this resourceType.
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, "r");
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    return /"resourceType"\s*:\s*"CapabilityStatement"/.test(buffer.subarray(0, bytesRead).toString("utf8"));
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

export async function loadCapability(file: string): Promise<CapabilityModel> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES") throw new SpecError("spec-unreadable", file, "file not found or not readable");
    throw new SpecError("spec-syntax", file, `not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(raw) || raw.resourceType !== "CapabilityStatement") throw new SpecError("spec-invalid", file, "not a CapabilityStatement", { pointer: "/resourceType" });
  const version = typeof raw.fhirVersion === "string" ? raw.fhirVersion : "";
  if (!version.startsWith("4.0")) throw new SpecError("spec-unsupported", file, `fhirVersion "${version}" is not R4 (4.0.x)`, { pointer: "/fhirVersion" });
  const rest = Array.isArray(raw.rest) ? raw.rest.findIndex((r) => isObject(r) && r.mode === "server") : -1;
  if (rest < 0) throw new SpecError("spec-invalid", file, "declares no rest entry with mode \"server\"", { pointer: "/rest" });
  const server = (raw.rest as JsonObject[])[rest]!;
  const at = (...segments: Array<string | number>) => `/rest/${rest}/${segments.join("/")}`;

  if (!Array.isArray(server.resource) || server.resource.length === 0) throw new SpecError("spec-invalid", file, "declares no resources", { pointer: at("resource") });
  const seen = new Set<string>();
  const resources = server.resource.map((r, i): DeclaredResource => {
    if (!isObject(r) || typeof r.type !== "string" || !/^[A-Z][A-Za-z]+$/.test(r.type)) throw new SpecError("spec-invalid", file, "each resource needs a resource type name", { pointer: at("resource", i, "type") });
    if (seen.has(r.type)) throw new SpecError("spec-invalid", file, `resource ${r.type} is declared twice`, { pointer: at("resource", i) });
    seen.add(r.type);
    const interactions = (Array.isArray(r.interaction) ? r.interaction : []).flatMap((x, j) => {
      const code = isObject(x) ? x.code : undefined;
      if (typeof code === "string" && NOT_GENERATED.has(code)) return [];
      if (typeof code !== "string" || !TYPE_INTERACTIONS.has(code)) throw new SpecError("spec-invalid", file, `unknown interaction ${JSON.stringify(code)}`, { pointer: at("resource", i, "interaction", j, "code") });
      return [code as TypeInteraction];
    });
    const names = new Set<string>();
    const searchParams = (Array.isArray(r.searchParam) ? r.searchParam : []).map((p, j): DeclaredSearchParam => {
      if (!isObject(p) || typeof p.name !== "string" || !/^[_a-zA-Z][\w.-]*$/.test(p.name)) throw new SpecError("spec-invalid", file, "a search parameter needs a name", { pointer: at("resource", i, "searchParam", j, "name") });
      if (typeof p.type !== "string" || !SEARCH_TYPES.has(p.type)) throw new SpecError("spec-invalid", file, `search parameter ${p.name} has unknown type ${JSON.stringify(p.type)}`, { pointer: at("resource", i, "searchParam", j, "type") });
      if (names.has(p.name)) throw new SpecError("spec-invalid", file, `search parameter ${p.name} is declared twice`, { pointer: at("resource", i, "searchParam", j) });
      names.add(p.name);
      return {
        name: p.name,
        type: p.type,
        ...(typeof p.definition === "string" ? { definition: p.definition } : {}),
        ...(typeof p.documentation === "string" ? { documentation: p.documentation } : {}),
      };
    });
    return { type: r.type, interactions: [...new Set(interactions)], searchParams };
  });
  const system = (Array.isArray(server.interaction) ? server.interaction : [])
    .map((x) => (isObject(x) ? x.code : undefined))
    .filter((c): c is SystemInteraction => typeof c === "string" && SYSTEM_INTERACTIONS.has(c));
  const operations = (Array.isArray(server.operation) ? server.operation : []).map((o) => (isObject(o) && typeof o.name === "string" ? o.name : "")).filter(Boolean);
  const title = typeof raw.title === "string" ? raw.title : typeof raw.name === "string" ? raw.name : "FHIR R4 server";
  return { document: raw, title, fhirVersion: version, resources, system: [...new Set(system)], operations };
}
