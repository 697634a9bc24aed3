/**
 * What a FHIR server charges per interaction against a load quota measured in points,
 * beside its count of requests. These are the weights Medplum publishes for its
 * "fhirInteractions" quota: a read costs 1 point, a history 10, a search 20, and a write
 * (create, update, patch, delete) 100. A batch or transaction costs what its entries
 * cost, each priced as the interaction it is; an entry that cannot be told is priced as
 * a write, the dearest. Override any of it with the client's `pacing.cost`.
 */
import type { OperationDescriptor } from "../runtime/core/operation.js";
import type { TypeInteraction } from "./interactions.js";

/** The name a FHIR server gives its points quota in the RateLimit header. */
export const FHIR_POINTS_QUOTA = "fhirInteractions";

export const FHIR_INTERACTION_POINTS: Readonly<Record<TypeInteraction, number>> = Object.freeze({
  read: 1,
  vread: 1,
  "history-instance": 10,
  "search-type": 20,
  create: 100,
  update: 100,
  patch: 100,
  delete: 100,
});

/** An entry whose interaction cannot be told: priced as a write, so pacing never undercounts. */
export const UNKNOWN_ENTRY_POINTS = 100;

/** The interaction a Bundle entry's request is (`GET Patient/1` → read), or undefined. */
export function entryInteraction(method: unknown, url: unknown): TypeInteraction | undefined {
  if (typeof method !== "string" || typeof url !== "string") return undefined;
  const [path = "", query] = url.split("?", 2);
  // Relative (`Patient/1`) as entries are written; an absolute URL keeps its last segments.
  const segments = path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "").split("/").filter(Boolean);
  const typeAt = segments.findIndex((s) => /^[A-Z][A-Za-z]+$/.test(s));
  const [, id, marker, version, ...rest] = typeAt < 0 ? [] : segments.slice(typeAt);
  if (typeAt < 0 || rest.length > 0) return undefined;
  switch (method.toUpperCase()) {
    case "GET":
    case "HEAD":
      if (id === undefined) return "search-type";
      if (id.startsWith("$") || id.startsWith("_")) return undefined;
      if (marker === undefined) return "read";
      if (marker !== "_history") return undefined;
      return version === undefined ? "history-instance" : "vread";
    case "POST":
      if (id === "_search" && marker === undefined) return "search-type";
      return id === undefined && query === undefined ? "create" : undefined;
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      return undefined;
  }
}

/** Points a batch or transaction Bundle costs: the sum of its entries' prices (at least one entry's). */
export function bundlePoints(bundle: unknown, prices: Readonly<Record<TypeInteraction, number>> = FHIR_INTERACTION_POINTS): number {
  const entries: unknown = typeof bundle === "object" && bundle !== null ? (bundle as { entry?: unknown }).entry : undefined;
  if (!Array.isArray(entries) || entries.length === 0) return UNKNOWN_ENTRY_POINTS;
  let points = 0;
  for (const entry of entries as unknown[]) {
    const request = typeof entry === "object" && entry !== null ? (entry as { request?: { method?: unknown; url?: unknown } }).request : undefined;
    const interaction = entryInteraction(request?.method, request?.url);
    points += interaction === undefined ? UNKNOWN_ENTRY_POINTS : prices[interaction];
  }
  return points;
}

/** The operation priced for this Bundle (a batch or transaction costs what its entries cost). */
export function pricedForBundle(operation: OperationDescriptor, bundle: unknown): OperationDescriptor {
  return { ...operation, hints: { ...operation.hints, cost: { ...operation.hints.cost, [FHIR_POINTS_QUOTA]: bundlePoints(bundle) } } };
}
