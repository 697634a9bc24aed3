/**
 * The default comparison: a deep compare of chosen fields, naming each leaf that differs
 * (`name[0].family`). Only paths are reported, never values: the values are PHI.
 */
import type { Compare } from "./types.js";

/** Elements a server sets on its own, so they never match what the app sent. */
const SERVER_SET = ["id", "meta", "text"] as const;

export interface CompareFieldsOptions {
  /** Top-level fields left out when every field of the source is compared. Default `id`, `meta`, `text`. */
  readonly ignore?: readonly string[];
}

/**
 * Compares the named fields (dotted paths into objects: `name`, `address.city`), or, with
 * none named, every top-level field the source record has but the ignored ones. A field the
 * target has and the source does not is not a difference: the provider may add its own.
 */
export function compareFields<S, T>(fields?: readonly string[], options: CompareFieldsOptions = {}): Compare<S, T> {
  const ignore = new Set(options.ignore ?? SERVER_SET);
  return (source, target) => {
    const names = fields ?? Object.keys(isObject(source) ? source : {}).filter((k) => !ignore.has(k));
    const out: string[] = [];
    for (const name of names) diff(at(source, name), at(target, name), name, out);
    return out;
  };
}

/** Every leaf path where the two values differ; arrays by position, objects by the union of their keys. */
export function diffPaths(a: unknown, b: unknown, root = ""): string[] {
  const out: string[] = [];
  diff(a, b, root, out);
  return out;
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diff(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) diff(a[k], b[k], path === "" ? k : `${path}.${k}`, out);
    return;
  }
  // An absent field and one set to undefined are the same thing in JSON.
  if (a === b || (a === undefined && b === undefined) || (Number.isNaN(a) && Number.isNaN(b))) return;
  out.push(path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function at(record: unknown, dotted: string): unknown {
  let current = record;
  for (const part of dotted.split(".")) current = isObject(current) ? current[part] : undefined;
  return current;
}
