/**
 * One code from an R4 value set, for samples that must satisfy a required binding: the
 * value set's own listed concepts, else the first selectable concept of a code system it
 * includes, else (a system too large to list: languages, media types, currencies) a code
 * every server knows.
 */
import { readR4Definition } from "./r4-definitions.js";

interface Concept {
  readonly code?: string;
  readonly concept?: readonly Concept[];
  readonly property?: ReadonlyArray<{ readonly code?: string; readonly valueBoolean?: boolean; readonly valueCode?: string }>;
}
interface Include {
  readonly system?: string;
  readonly concept?: readonly Concept[];
  readonly valueSet?: readonly string[];
  readonly filter?: readonly unknown[];
}
interface TerminologyResource {
  readonly resourceType?: string;
  readonly url?: string;
  readonly concept?: readonly Concept[];
  readonly compose?: { readonly include?: readonly Include[] };
}

export interface BoundCode {
  readonly system: string;
  readonly code: string;
}

/** Systems defined outside FHIR, with no concept list to pick from. */
const WELL_KNOWN: Readonly<Record<string, string>> = {
  "urn:ietf:bcp:13": "text/plain",
  "urn:ietf:bcp:47": "en",
  "urn:iso:std:iso:4217": "USD",
  "http://unitsofmeasure.org": "mg",
};

let index: { valueSets: Map<string, TerminologyResource>; codeSystems: Map<string, TerminologyResource> } | undefined;
const found = new Map<string, BoundCode | undefined>();

function load(): NonNullable<typeof index> {
  if (index) return index;
  const valueSets = new Map<string, TerminologyResource>();
  const codeSystems = new Map<string, TerminologyResource>();
  for (const file of ["fhir/r4/valuesets.json", "fhir/r4/v3-codesystems.json", "fhir/r4/v2-tables.json"]) {
    const bundle = readR4Definition(file) as { entry?: Array<{ resource?: TerminologyResource }> };
    for (const { resource } of bundle.entry ?? []) {
      if (!resource?.url) continue;
      if (resource.resourceType === "ValueSet") valueSets.set(resource.url, resource);
      else if (resource.resourceType === "CodeSystem") codeSystems.set(resource.url, resource);
    }
  }
  index = { valueSets, codeSystems };
  return index;
}

/** A code of the value set named by `canonical` (a version after `|` is ignored), or undefined when none can be found. */
export function codeFromValueSet(canonical: string): BoundCode | undefined {
  const url = canonical.split("|")[0]!;
  if (!found.has(url)) found.set(url, pick(url, 0));
  return found.get(url);
}

function pick(url: string, depth: number): BoundCode | undefined {
  if (depth > 5) return undefined;
  const { valueSets, codeSystems } = load();
  const valueSet = valueSets.get(url);
  for (const include of valueSet?.compose?.include ?? []) {
    const listed = include.concept?.find((c) => c.code);
    if (include.system && listed?.code) return { system: include.system, code: listed.code };
    if (include.system && !include.filter?.length) {
      const code = firstSelectable(codeSystems.get(include.system)?.concept) ?? WELL_KNOWN[include.system];
      if (code) return { system: include.system, code };
    }
    for (const other of include.valueSet ?? []) {
      const code = pick(other.split("|")[0]!, depth + 1);
      if (code) return code;
    }
  }
  // A filtered include still names its system: its first concept is likelier right than nothing.
  for (const include of valueSet?.compose?.include ?? []) {
    const code = include.system ? (firstSelectable(codeSystems.get(include.system)?.concept) ?? WELL_KNOWN[include.system]) : undefined;
    if (include.system && code) return { system: include.system, code };
  }
  return undefined;
}

/** Depth first, skipping concepts marked abstract or not selectable (grouping headers). */
function firstSelectable(concepts: readonly Concept[] | undefined): string | undefined {
  for (const concept of concepts ?? []) {
    const grouping = concept.property?.some((p) => (p.code === "notSelectable" || p.code === "abstract") && (p.valueBoolean === true || p.valueCode === "true"));
    if (concept.code && !grouping) return concept.code;
    const inner = firstSelectable(concept.concept);
    if (inner) return inner;
  }
  return undefined;
}
