/**
 * `_lastUpdated` as FHIR servers read it: a date or instant with a comparison prefix
 * (`gt`, `ge`, `lt`, `le`, `eq`, `sa`, `eb`), repeated to bound both ends, and
 * `_sort=_lastUpdated` (or `-_lastUpdated`). A partial date is a range (`2026-11-30` is the
 * whole day), so `gt2026-11-30` starts at the next day, as the specification says. Pollers
 * and subscription catch-up ask "what changed since my checkpoint" this way.
 */
import type { StoredResource } from "./fhir-store.js";

export type LastUpdatedTest = (resource: StoredResource) => boolean;

const PREFIXES = ["gt", "ge", "lt", "le", "eq", "sa", "eb"] as const;
type Prefix = (typeof PREFIXES)[number];

// YYYY, YYYY-MM, YYYY-MM-DD, or a full instant with seconds, optional fraction and zone.
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** The half-open range [start, end) in epoch ms that a (possibly partial) FHIR date stands for; undefined when it is not one. */
export function dateRange(text: string): { readonly start: number; readonly end: number } | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = m;
  if (hour !== undefined && zone === undefined) return undefined; // a time needs its zone to be one instant
  const y = Number(year);
  if (month === undefined) return { start: Date.UTC(y, 0), end: Date.UTC(y + 1, 0) };
  const mo = Number(month) - 1;
  if (mo > 11) return undefined;
  if (day === undefined) return { start: Date.UTC(y, mo), end: Date.UTC(y, mo + 1) };
  const d = Number(day);
  if (d < 1 || d > 31) return undefined;
  if (hour === undefined) return { start: Date.UTC(y, mo, d), end: Date.UTC(y, mo, d + 1) };
  const start = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second ?? "00"}${fraction ? `.${fraction.slice(0, 3)}` : ""}${zone}`);
  if (Number.isNaN(start)) return undefined;
  const unit = second === undefined ? 60_000 : fraction === undefined ? 1_000 : 10 ** Math.max(0, 3 - fraction.length);
  return { start, end: start + Math.max(1, unit) };
}

/** One test per `_lastUpdated` value, all of which must hold; an error message for a value that is not a date. */
export function lastUpdatedTest(values: readonly string[]): LastUpdatedTest | { readonly error: string } {
  const tests: Array<(ms: number) => boolean> = [];
  for (const value of values) {
    const prefix = PREFIXES.find((p) => value.startsWith(p));
    const range = dateRange(prefix ? value.slice(2) : value);
    if (!range) return { error: `_lastUpdated "${value}" is not a FHIR date with an optional prefix` };
    tests.push(compare(prefix ?? "eq", range));
  }
  return (resource) => {
    const ms = Date.parse(resource.meta?.lastUpdated ?? "");
    return !Number.isNaN(ms) && tests.every((t) => t(ms));
  };
}

function compare(prefix: Prefix, { start, end }: { start: number; end: number }): (ms: number) => boolean {
  switch (prefix) {
    case "gt":
    case "sa":
      return (ms) => ms >= end;
    case "ge":
      return (ms) => ms >= start;
    case "lt":
    case "eb":
      return (ms) => ms < start;
    case "le":
      return (ms) => ms < end;
    case "eq":
      return (ms) => ms >= start && ms < end;
  }
}

/** Orders by `meta.lastUpdated` when `_sort` asks for it (a leading `-` for newest first); otherwise keeps the store's order. */
export function sortByLastUpdated(resources: StoredResource[], sort: string | null): StoredResource[] {
  const key = sort?.split(",")[0]?.trim();
  if (key !== "_lastUpdated" && key !== "-_lastUpdated") return resources;
  const sign = key.startsWith("-") ? -1 : 1;
  const at = (r: StoredResource) => Date.parse(r.meta?.lastUpdated ?? "") || 0;
  return [...resources].sort((a, b) => sign * (at(a) - at(b)));
}
