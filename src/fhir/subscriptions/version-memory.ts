/**
 * The versions of each resource already handed to the app, kept for two questions: did a
 * catch-up search find a version the app already has (skip it), and is an event about a
 * version older than one a search already handed over (stale). Bounded: the oldest entries
 * are forgotten first.
 */
import type { Resource } from "fhir/r4.js";

const MAX_REMEMBERED = 50_000;

function versionOf(resource: Resource | undefined): number | undefined {
  const v = Number(resource?.meta?.versionId);
  return Number.isSafeInteger(v) ? v : undefined;
}

function remember(map: Map<string, number>, focus: string, version: number): void {
  map.delete(focus);
  map.set(focus, Math.max(version, map.get(focus) ?? 0));
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!);
}

export class VersionMemory {
  private readonly handed = new Map<string, number>();
  private readonly searched = new Map<string, number>();

  remember(focus: string, resource: Resource): void {
    const version = versionOf(resource);
    if (version !== undefined) remember(this.handed, focus, version);
  }

  foundBySearch(focus: string, resource: Resource): void {
    const version = versionOf(resource);
    if (version !== undefined) remember(this.searched, focus, version);
  }

  /** The app already has this version of the resource, or a later one. */
  handedOver(focus: string, resource: Resource): boolean {
    const version = versionOf(resource);
    return version !== undefined && (this.handed.get(focus) ?? 0) >= version;
  }

  /** A search already handed over this version of the event's resource, or a later one. */
  supersededBySearch(focus: string | undefined, resource: Resource | undefined): boolean {
    const version = versionOf(resource);
    return focus !== undefined && version !== undefined && (this.searched.get(focus) ?? 0) >= version;
  }
}
