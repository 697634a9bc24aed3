/**
 * A Node built-in module for the parts of the runtime that only ever run on Node (the Redis
 * store, strict FHIR validation), fetched at the moment they need it instead of imported:
 * a static `node:` import would make every bundle of a generated client Node-only, though
 * a browser app never reaches these paths.
 */
import { UnexpectedError } from "../core/errors.js";

type BuiltinModules = {
  "node:crypto": typeof import("node:crypto");
  "node:module": typeof import("node:module");
  "node:fs": typeof import("node:fs");
};

/** The built-in, or undefined outside Node (for a part with a portable path of its own). */
export function optionalNodeBuiltin<Id extends keyof BuiltinModules>(id: Id): BuiltinModules[Id] | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return process?.getBuiltinModule?.(id) as BuiltinModules[Id] | undefined;
}

export function nodeBuiltin<Id extends keyof BuiltinModules>(id: Id, feature: string): BuiltinModules[Id] {
  const builtin = optionalNodeBuiltin(id);
  if (builtin === undefined) throw new UnexpectedError(`${feature} needs Node.js (20.19 or later): ${id} is not available here`);
  return builtin as BuiltinModules[Id];
}

/** `require` relative to this package, for an optional dependency loaded synchronously on first use. */
export function requireOptional(feature: string): (id: string) => unknown {
  return nodeBuiltin("node:module", feature).createRequire(import.meta.url);
}
