/**
 * `carewire.config.json`: the one list of specs `carewire generate` (no flags) runs over.
 *
 *   { "outDir": "generated", "templates": "templates-override",
 *     "providers": [{ "name": "clinic", "spec": "specs/clinic/openapi.yaml" },
 *                   { "name": "stripe", "spec": "https://…/spec3.yaml", "overlays": ["overlays/stripe.yaml"] }] }
 *
 * Relative paths are relative to the config file; a spec or overlay may be an http(s) URL.
 * `overlays` are OpenAPI Overlay 1.0 documents applied to the spec, in order, before codegen.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { isObject } from "./json.js";
import { SpecError } from "./spec-error.js";
import { validateProviderName } from "./generate.js";
import { isHttpUrl } from "./spec-location.js";

export const CONFIG_FILE = "carewire.config.json";

const MAX_CONFIG_BYTES = 1024 * 1024;

export interface CarewireConfig {
  readonly file: string;
  readonly outDir: string;
  readonly templates?: string;
  readonly providers: ReadonlyArray<ConfiguredProvider>;
}

export interface ConfiguredProvider {
  readonly name: string;
  /** A path relative to the working directory, or a URL. */
  readonly spec: string;
  /** Paths relative to the working directory, or URLs; empty when there are none. */
  readonly overlays: readonly string[];
}

export async function loadConfig(file: string): Promise<CarewireConfig> {
  let text: string;
  try {
    // A config is a few hundred bytes: anything past the bound is the wrong file.
    if ((await stat(file)).size > MAX_CONFIG_BYTES) throw new SpecError("config-invalid", file, `larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MB: not a carewire config`);
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof SpecError) throw error;
    throw new SpecError("config-invalid", file, unreadableReason((error as NodeJS.ErrnoException).code));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SpecError("config-invalid", file, `not valid JSON: ${(error as Error).message}`);
  }
  const base = path.dirname(path.resolve(file));
  const local = (location: string) => (isHttpUrl(location) ? location : path.relative(process.cwd(), path.resolve(base, location)));
  if (!isObject(raw) || !Array.isArray(raw.providers)) {
    throw new SpecError("config-invalid", file, "needs a `providers` array", { pointer: "/providers" });
  }
  for (const key of ["outDir", "templates"] as const) {
    if (raw[key] !== undefined && (typeof raw[key] !== "string" || raw[key] === "")) {
      throw new SpecError("config-invalid", file, `\`${key}\` must be a non-empty string (a directory)`, { pointer: `/${key}` });
    }
  }
  const seen = new Set<string>();
  const providers = raw.providers.map((p, i): ConfiguredProvider => {
    if (!isObject(p) || typeof p.name !== "string" || typeof p.spec !== "string" || p.spec === "") {
      throw new SpecError("config-invalid", file, "each provider needs string `name` and `spec`", { pointer: `/providers/${i}` });
    }
    validateProviderName(p.name, file);
    if (seen.has(p.name)) throw new SpecError("config-invalid", file, `provider "${p.name}" is listed twice`, { pointer: `/providers/${i}/name` });
    seen.add(p.name);
    const overlays = p.overlays ?? [];
    if (!Array.isArray(overlays) || overlays.some((o) => typeof o !== "string" || o === "")) {
      throw new SpecError("config-invalid", file, "`overlays` is a list of overlay files (or URLs)", { pointer: `/providers/${i}/overlays` });
    }
    return { name: p.name, spec: local(p.spec), overlays: (overlays as string[]).map(local) };
  });
  const outDir = typeof raw.outDir === "string" ? raw.outDir : "generated";
  return {
    file,
    outDir: path.relative(process.cwd(), path.resolve(base, outDir)) || ".",
    ...(typeof raw.templates === "string" ? { templates: path.resolve(base, raw.templates) } : {}),
    providers,
  };
}

function unreadableReason(code: string | undefined): string {
  switch (code) {
    case "ENOENT":
      return "not found (create one with `carewire init`, or name another with --config <file>)";
    case "EACCES":
    case "EPERM":
      return "cannot be read (permission denied)";
    case "EISDIR":
      return "is a directory, not a config file";
    default:
      return `cannot be read (${code ?? "unknown error"})`;
  }
}
