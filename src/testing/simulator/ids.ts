/**
 * Ids for created resources, valid against the spec's schema for the id property: a number
 * where it is an integer, a match of its pattern (Twilio's `CA` + 32 hex digits), a UUID
 * where the format says so, else a readable `tas-1`. Always from the store's sequence, so
 * a run is the same every time.
 */
import { isObject, type JsonObject } from "../../codegen/json.js";
import type { ResourceStore } from "./state.js";
import { stringForPattern } from "./strings.js";

export function newId(store: ResourceStore, collection: string, schema: JsonObject | undefined): string | number {
  const type = isObject(schema) ? (Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type) : undefined;
  if (type === "integer" || type === "number") {
    // Past the ids the spec's examples already hold.
    let id = store.nextId(collection, true);
    while (store.get(collection, String(id))) id = store.nextId(collection, true);
    return id;
  }
  const readable = store.nextId(collection, false) as string;
  if (!isObject(schema)) return readable;
  const n = Number(readable.slice(readable.lastIndexOf("-") + 1));
  if (schema.format === "uuid") return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
  const bounds = { ...(typeof schema.minLength === "number" ? { minLength: schema.minLength } : {}), ...(typeof schema.maxLength === "number" ? { maxLength: schema.maxLength } : {}) };
  if (typeof schema.pattern === "string") {
    // Draws of one seed can repeat across seeds; walk on until one is new to the collection.
    for (let seed = n; seed < n + 50; seed++) {
      const id = stringForPattern(schema.pattern, bounds, seed);
      if (id !== undefined && !store.get(collection, id)) return id;
    }
  }
  return readable.padEnd(bounds.minLength ?? 0, "0").slice(0, bounds.maxLength ?? Infinity);
}
