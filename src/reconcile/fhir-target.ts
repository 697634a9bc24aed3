/**
 * A FHIR resource type as a reconciliation target: looked up by business identifier, many
 * at a time (`identifier=sys|v1,sys|v2,…`, FHIR's OR), and listed whole with
 * `identifier=sys|` (every resource with an identifier in that system).
 */
import type { Resource } from "fhir/r4.js";
import type { TokenParam } from "../fhir/search.js";
import type { CallOptions } from "../runtime/core/types.js";
import type { Key, ReconcileTarget } from "./types.js";

/** Any resource client with `searchAll` (a generated client's `fhir.Patient`, or `core.resources.Patient`). */
export interface SearchableResource<R> {
  searchAll(params: { readonly identifier: TokenParam | readonly TokenParam[]; readonly _count?: number }, options?: CallOptions): AsyncIterable<R>;
}

export interface FhirTargetOptions {
  /** The resource type (`Patient`), named in the checkpoint. */
  readonly type: string;
  /** The identifier system whose value is the business key (`urn:oid:…` of the app's MRNs). */
  readonly identifierSystem: string;
  /**
   * Identifiers per search. Each one lengthens the URL by its system and value: 50 keeps a
   * search well under the 8 KB many servers accept. Default 50.
   */
  readonly batchSize?: number;
  /** Where the server is (its base URL), so a checkpoint refuses to resume against another. Default: type and system only. */
  readonly server?: string;
  /** Options for every search (a deadline, a tenant). */
  readonly callOptions?: CallOptions;
}

export const DEFAULT_FHIR_BATCH_SIZE = 50;

/** The value of the resource's first identifier in `system`. */
export function identifierValue(resource: unknown, system: string): Key | undefined {
  const identifiers = (resource as { identifier?: unknown } | null)?.identifier;
  if (!Array.isArray(identifiers)) return undefined;
  for (const i of identifiers as unknown[]) {
    const { system: s, value } = (typeof i === "object" && i !== null ? i : {}) as { system?: unknown; value?: unknown };
    if (s === system && typeof value === "string" && value.length > 0) return value;
  }
  return undefined;
}

export function fhirTarget<R extends Resource>(resources: SearchableResource<R>, options: FhirTargetOptions): ReconcileTarget<R> {
  const system = options.identifierSystem;
  const batchSize = options.batchSize ?? DEFAULT_FHIR_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a whole number of at least 1, got ${batchSize}`);
  const keyOf = (r: unknown) => identifierValue(r, system);
  return {
    id: `fhir:${options.server ?? ""}/${options.type}?identifier=${system}|`,
    batchSize,
    keyOf,
    async lookup(keys) {
      if (keys.length === 0) return [];
      const found: R[] = [];
      // A key may match several resources (a duplicate on the server): every page is read.
      for await (const r of resources.searchAll({ identifier: keys.map((code) => ({ system, code })), _count: batchSize }, options.callOptions)) found.push(r);
      return found;
    },
    list: () => resources.searchAll({ identifier: { system, code: "" }, _count: batchSize }, options.callOptions),
  };
}
