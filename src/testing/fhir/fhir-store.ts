/**
 * The FHIR simulator's storage: resources by type and id with their version history, and
 * the search matching the simulator understands (ids, tokens, strings, references). It is
 * a test double, not a FHIR engine: enough to exercise a client's paging, conditional
 * writes and version checks under rate limits and faults.
 */
import { randomUUID } from "node:crypto";

export interface StoredResource {
  readonly resourceType: string;
  id: string;
  meta?: { versionId?: string; lastUpdated?: string; source?: string };
  [element: string]: unknown;
}

/** Where each supported search parameter looks (dotted element paths; arrays are walked). */
const PARAM_PATHS: Record<string, { readonly kind: "token" | "string" | "reference"; readonly paths: readonly string[] }> = {
  identifier: { kind: "token", paths: ["identifier"] },
  gender: { kind: "token", paths: ["gender"] },
  active: { kind: "token", paths: ["active"] },
  status: { kind: "token", paths: ["status"] },
  code: { kind: "token", paths: ["code.coding"] },
  category: { kind: "token", paths: ["category.coding"] },
  class: { kind: "token", paths: ["class"] },
  name: { kind: "string", paths: ["name.family", "name.given", "name.text", "name"] },
  family: { kind: "string", paths: ["name.family"] },
  given: { kind: "string", paths: ["name.given"] },
  patient: { kind: "reference", paths: ["subject", "patient", "participant.actor", "target"] },
  subject: { kind: "reference", paths: ["subject"] },
  target: { kind: "reference", paths: ["target"] },
  agent: { kind: "reference", paths: ["agent.who"] },
  encounter: { kind: "reference", paths: ["encounter"] },
  practitioner: { kind: "reference", paths: ["participant.individual", "participant.actor"] },
  actor: { kind: "reference", paths: ["participant.actor"] },
  "general-practitioner": { kind: "reference", paths: ["generalPractitioner"] },
  // Subscription: its topic, and its endpoint (R4 calls that search `url`).
  criteria: { kind: "token", paths: ["criteria"] },
  url: { kind: "token", paths: ["channel.endpoint"] },
};

/** Parameters the store can match; others are accepted and ignored (see the simulator). */
export function supportsParam(name: string): boolean {
  return name === "_id" || name === "_source" || name in PARAM_PATHS;
}

function valuesAt(resource: unknown, path: string): unknown[] {
  let current: unknown[] = [resource];
  for (const key of path.split(".")) {
    current = current.flatMap((v) => (v !== null && typeof v === "object" ? [(v as Record<string, unknown>)[key]] : [])).flatMap((v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]));
  }
  return current;
}

/** Splits on `sep` where it is not escaped; escapes stay in the parts (see `unescape`). */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

function matchesOne(resource: StoredResource, name: string, value: string): boolean {
  if (name === "_id") return resource.id === value;
  if (name === "_source") return resource.meta?.source === unescape(value);
  const spec = PARAM_PATHS[name];
  if (!spec) return true;
  const found = spec.paths.flatMap((p) => valuesAt(resource, p));
  if (spec.kind === "string") {
    const wanted = unescape(value).toLowerCase();
    return found.some((v) => typeof v === "string" && v.toLowerCase().startsWith(wanted));
  }
  if (spec.kind === "reference") {
    return found.some((v) => {
      const ref = typeof v === "object" && v !== null ? (v as { reference?: string }).reference : undefined;
      const wanted = unescape(value);
      return ref !== undefined && (ref === wanted || ref.endsWith(`/${wanted}`));
    });
  }
  return found.some(tokenMatcher(value));
}

/**
 * A token value (`code`, `system|code`, `|code`, or `system|` for any code in that system),
 * parsed once, as a test of one found element (a coding, an identifier or a plain value).
 */
function tokenMatcher(value: string): (found: unknown) => boolean {
  const parts = splitUnescaped(value, "|");
  const [system, code] = parts.length >= 2 ? [unescape(parts[0]!), unescape(parts.slice(1).join("|"))] : [undefined, unescape(value)];
  const anyCode = code === "" && system !== undefined && system !== "";
  return (v) => {
    if (typeof v === "string" || typeof v === "boolean") return system === undefined && String(v) === code;
    const o = v as { system?: string; value?: string; code?: string };
    const c = o.value ?? o.code;
    return (anyCode ? c !== undefined : c === code) && (system === undefined || (system === "" ? o.system === undefined : o.system === system));
  };
}

/**
 * One parameter's OR-list as a test of a resource. A token list is parsed once per search
 * and each resource's elements are read once, so a lookup of many identifiers at a time
 * stays quick over thousands of resources.
 */
function paramTest(name: string, values: readonly string[]): (resource: StoredResource) => boolean {
  const spec = PARAM_PATHS[name];
  if (spec?.kind !== "token") return (r) => values.some((v) => matchesOne(r, name, v));
  const tokens = values.map(tokenMatcher);
  return (r) => spec.paths.flatMap((p) => valuesAt(r, p)).some((v) => tokens.some((t) => t(v)));
}

/** One change the store made: what subscription topics watch. */
export interface StoreChange {
  readonly interaction: "create" | "update" | "delete";
  /** The version written (for a delete, the last version before it). */
  readonly resource: StoredResource;
}

export type StoreChangeListener = (change: StoreChange) => void;

/** A whole search as one test: repeated names AND, comma-separated values OR. */
function searchTest(params: ReadonlyArray<[string, string]>): (resource: StoredResource) => boolean {
  const tests = params.map(([name, value]) => paramTest(name.split(":")[0]!, splitUnescaped(value, ",")));
  return (r) => tests.every((t) => t(r));
}

export class FhirStore {
  private readonly current = new Map<string, Map<string, StoredResource>>();
  private readonly listeners = new Set<StoreChangeListener>();
  private readonly history = new Map<string, StoredResource[]>();
  /** Every write that created a new resource or version (the server-side effects). */
  writes = 0;

  constructor(private readonly clock: () => number) {}

  private table(type: string): Map<string, StoredResource> {
    let t = this.current.get(type);
    if (!t) this.current.set(type, (t = new Map()));
    return t;
  }

  read(type: string, id: string): StoredResource | undefined {
    return this.table(type).get(id);
  }

  /** Whether the resource existed and was deleted (a read of it is 410 Gone, not 404). */
  deleted(type: string, id: string): boolean {
    return !this.table(type).has(id) && (this.history.get(`${type}/${id}`)?.length ?? 0) > 0;
  }

  vread(type: string, id: string, versionId: string): StoredResource | undefined {
    return this.history.get(`${type}/${id}`)?.find((r) => r.meta?.versionId === versionId);
  }

  versions(type: string, id: string): readonly StoredResource[] {
    return [...(this.history.get(`${type}/${id}`) ?? [])].reverse();
  }

  /** Writes a new version; `id` given for updates, assigned for creates. */
  put(resource: StoredResource): StoredResource {
    const versions = this.history.get(`${resource.resourceType}/${resource.id}`) ?? [];
    const stored: StoredResource = structuredClone({ ...resource, meta: { ...resource.meta, versionId: String(versions.length + 1), lastUpdated: new Date(this.clock()).toISOString() } });
    versions.push(stored);
    this.history.set(`${resource.resourceType}/${resource.id}`, versions);
    this.table(resource.resourceType).set(resource.id, stored);
    this.writes++;
    this.emit({ interaction: versions.length === 1 ? "create" : "update", resource: stored });
    return stored;
  }

  newId(): string {
    return randomUUID();
  }

  delete(type: string, id: string): boolean {
    const last = this.table(type).get(id);
    if (!this.table(type).delete(id)) return false;
    this.emit({ interaction: "delete", resource: last! });
    return true;
  }

  /** Calls `listener` after every create, update and delete; returns its removal. */
  onChange(listener: StoreChangeListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }

  /** Whether one resource matches a search (the same matching as `search`). */
  matches(resource: StoredResource, params: ReadonlyArray<[string, string]>): boolean {
    return searchTest(params)(resource);
  }

  /** Matches in insertion order. Repeated names AND; comma-separated values OR. */
  search(type: string, params: ReadonlyArray<[string, string]>): StoredResource[] {
    // Parameters the store does not know (`_count`, `_sort`…) match everything: see matchesOne.
    return [...this.table(type).values()].filter(searchTest(params));
  }

  all(type: string): IterableIterator<StoredResource> {
    return this.table(type).values();
  }

  count(type: string): number {
    return this.table(type).size;
  }

  clear(): void {
    this.current.clear();
    this.history.clear();
    this.writes = 0;
  }
}
