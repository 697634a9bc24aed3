/**
 * What the 2xx body of a FHIR interaction must be, and why a body is not that: checked
 * before the data reaches the caller, so a proxy's HTML or another resource type never
 * passes for the resource asked for.
 */
import type { SystemInteraction, TypeInteraction } from "./interactions.js";

/** What a 2xx body of an interaction must be: a resource of its type (with an id), or a Bundle. */
export interface ExpectedBody {
  readonly resourceType: string;
  readonly needsId: boolean;
  /** Writes may answer with no body at all (a server that ignores `Prefer: return=representation`). */
  readonly mayBeEmpty: boolean;
}

export function expectedBody(type: string, interaction: TypeInteraction | SystemInteraction): ExpectedBody | undefined {
  switch (interaction) {
    case "read":
    case "vread":
      return { resourceType: type, needsId: true, mayBeEmpty: false };
    case "create":
    case "update":
    case "patch":
      return { resourceType: type, needsId: true, mayBeEmpty: true };
    case "search-type":
    case "history-instance":
    case "transaction":
    case "batch":
      return { resourceType: "Bundle", needsId: false, mayBeEmpty: false };
    case "delete":
      return undefined;
  }
}

/** Why a 2xx body is not what the interaction returns, or undefined when it is. */
export function shapeIssues(data: unknown, expected: ExpectedBody, status: number): Array<{ path: string; code: string; message: string }> | undefined {
  if (data === undefined) return expected.mayBeEmpty || status === 204 ? undefined : [{ path: "$", code: "required", message: `a ${expected.resourceType} was expected, the body is empty` }];
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    const got = data === null ? "null" : Array.isArray(data) ? "an array" : typeof data === "string" ? "text" : typeof data;
    return [{ path: "$", code: "invalid_type", message: `a ${expected.resourceType} was expected, got ${got}` }];
  }
  const { resourceType, id } = data as { resourceType?: unknown; id?: unknown };
  if (resourceType !== expected.resourceType) {
    return [{ path: "$.resourceType", code: "invalid_value", message: `a ${expected.resourceType} was expected${typeof resourceType === "string" && /^[A-Za-z]{1,64}$/.test(resourceType) ? `, got a ${resourceType}` : ""}` }];
  }
  if (expected.needsId && (typeof id !== "string" || id.length === 0)) return [{ path: "$.id", code: "required", message: `the ${expected.resourceType} has no id` }];
  if (expected.resourceType === "Bundle") {
    const { link, entry } = data as { link?: unknown; entry?: unknown };
    if (link !== undefined && !Array.isArray(link)) return [{ path: "$.link", code: "invalid_type", message: "Bundle.link must be a list" }];
    if (entry !== undefined && !Array.isArray(entry)) return [{ path: "$.entry", code: "invalid_type", message: "Bundle.entry must be a list" }];
    const notObject = (list: unknown) => (Array.isArray(list) ? list.findIndex((item) => typeof item !== "object" || item === null || Array.isArray(item)) : -1);
    const badLink = notObject(link);
    if (badLink >= 0) return [{ path: `$.link[${badLink}]`, code: "invalid_type", message: "a Bundle link must be an object" }];
    const badEntry = notObject(entry);
    if (badEntry >= 0) return [{ path: `$.entry[${badEntry}]`, code: "invalid_type", message: "a Bundle entry must be an object" }];
    // An entry's resource, when there is one, is a resource: something with a resourceType.
    const badResource = Array.isArray(entry) ? entry.findIndex((e: { resource?: unknown }) => e.resource !== undefined && typeof (e.resource as { resourceType?: unknown } | null)?.resourceType !== "string") : -1;
    if (badResource >= 0) return [{ path: `$.entry[${badResource}].resource`, code: "invalid_type", message: "a Bundle entry's resource must have a resourceType" }];
  }
  return undefined;
}
