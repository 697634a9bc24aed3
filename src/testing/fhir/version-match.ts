/**
 * Version preconditions as the simulator checks them: If-Match names the current version,
 * If-None-Match names a version the client already holds.
 */
import type { StoredResource } from "./fhir-store.js";

/** Whether `ifMatch` (`W/"3"`, `"3"` or `3`) names the current version. */
export function isCurrentVersion(current: StoredResource | undefined, ifMatch: string): boolean {
  return current !== undefined && current.meta?.versionId === ifMatch.replace(/^W\//, "").replace(/"/g, "");
}

/** If-None-Match compares weakly (a `W/` prefix does not matter) and `*` matches any version. */
export function holdsVersion(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || bare(tag) === bare(etag));
}
