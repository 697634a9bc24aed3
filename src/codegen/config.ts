/**
 * `carewire.config.json`: the one list of specs `carewire generate` (no flags) runs over.
 *
 *   { "outDir": "generated", "templates": "templates-override",
 *     "providers": [{ "name": "clinic", "spec": "specs/clinic/openapi.yaml" }] }
 *
 * Relative paths are relative to the config file.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isObject } from "./json.js";
import { SpecError } from "./spec-error.js";
import { validateProviderName } from "./generate.js";

export const CONFIG_FILE = "carewire.config.json";

export interface CarewireConfig {
  readonly file: string;
  readonly outDir: string;
  readonly templates?: string;
  readonly providers: ReadonlyArray<{ readonly name: string; readonly spec: string }>;
}

export async function loadConfig(file: string): Promise<CarewireConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : `not valid JSON: ${(error as Error).message}`;
    throw new SpecError("config-invalid", file, reason);
  }
  const base = path.dirname(path.resolve(file));
  if (!isObject(raw) || !Array.isArray(raw.providers)) {
    throw new SpecError("config-invalid", file, "needs a `providers` array", { pointer: "/providers" });
  }
  const seen = new Set<string>();
  const providers = raw.providers.map((p, i) => {
    if (!isObject(p) || typeof p.name !== "string" || typeof p.spec !== "string") {
      throw new SpecError("config-invalid", file, "each provider needs string `name` and `spec`", { pointer: `/providers/${i}` });
    }
    validateProviderName(p.name, file);
    if (seen.has(p.name)) throw new SpecError("config-invalid", file, `provider "${p.name}" is listed twice`, { pointer: `/providers/${i}/name` });
    seen.add(p.name);
    return { name: p.name, spec: path.relative(process.cwd(), path.resolve(base, p.spec)) };
  });
  const outDir = typeof raw.outDir === "string" ? raw.outDir : "generated";
  return {
    file,
    outDir: path.relative(process.cwd(), path.resolve(base, outDir)) || ".",
    ...(typeof raw.templates === "string" ? { templates: path.resolve(base, raw.templates) } : {}),
    providers,
  };
}
