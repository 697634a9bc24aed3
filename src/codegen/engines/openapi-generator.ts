/**
 * `carewire generate --engine openapi-generator`: the client is openapi-generator's
 * `typescript-fetch`, and carewire adds two files beside it so its requests run through
 * carewire's pipeline: the spec's operations as carewire reads them (its `x-carewire-*`
 * hints included) and `carewire.ts`, which builds the generated `Configuration` with
 * `fetchApi: carewireFetch(...)`.
 *
 * openapi-generator is a Java program and stays optional: it runs only when Java and its
 * jar are both here. The jar is `OPENAPI_GENERATOR_JAR`, else the one the npm wrapper
 * (@openapitools/openapi-generator-cli) keeps under `versions/` once it has downloaded
 * it. When either is missing, nothing is written and the command ends with one line
 * naming what is missing (exit 3: the machine lacks a tool; the input may be fine).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { buildRegistry } from "../build-registry.js";
import { loadSpec } from "../load-spec.js";
import { toPascalIdentifier } from "../names.js";

export interface OpenApiGeneratorRequest {
  readonly spec: string;
  readonly outDir: string;
  /** The provider's name: pacing, breakers and telemetry use it. */
  readonly name: string;
}

/** Where the tools are, or what is missing (each entry a short phrase for the one-line message). */
export type ToolSearch = { readonly found: true; readonly java: string; readonly jar: string } | { readonly found: false; readonly missing: readonly string[] };

export interface ToolEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the npm wrapper is looked up from (the project). */
  readonly cwd: string;
}

/** The environment variable naming a local openapi-generator-cli jar. */
export const JAR_VARIABLE = "OPENAPI_GENERATOR_JAR";
const WRAPPER_PACKAGE = "@openapitools/openapi-generator-cli";
/** How long `java -version` may take before Java counts as missing. */
const JAVA_PROBE_MS = 15_000;
/** How long the generator may run (a large spec takes a minute on a slow machine). */
const GENERATOR_LIMIT_MS = 600_000;

/** Finds Java and the openapi-generator jar, or says what is missing. */
export function findOpenApiGenerator(environment: ToolEnvironment): ToolSearch {
  const missing: string[] = [];
  const java = javaCommand(environment.env);
  const javaRuns = spawnSync(java, ["-version"], { stdio: "ignore", timeout: JAVA_PROBE_MS }).status === 0;
  if (!javaRuns) missing.push(`java (no working \`${java} -version\`; openapi-generator needs Java 11 or later)`);
  const jar = findJar(environment, missing);
  return missing.length === 0 && jar !== undefined ? { found: true, java, jar } : { found: false, missing };
}

function javaCommand(env: ToolEnvironment["env"]): string {
  return env.JAVA_HOME ? path.join(env.JAVA_HOME, "bin", "java") : "java";
}

function findJar({ env, cwd }: ToolEnvironment, missing: string[]): string | undefined {
  const given = env[JAR_VARIABLE];
  if (given !== undefined && given !== "") {
    if (isFile(given)) return path.resolve(given);
    missing.push(`the openapi-generator jar (${JAR_VARIABLE}=${given} is not a file)`);
    return undefined;
  }
  let wrapperDir: string;
  try {
    wrapperDir = path.dirname(createRequire(path.join(cwd, "package.json")).resolve(`${WRAPPER_PACKAGE}/package.json`));
  } catch {
    missing.push(`the openapi-generator jar (set ${JAR_VARIABLE} to a local openapi-generator-cli jar, or install ${WRAPPER_PACKAGE})`);
    return undefined;
  }
  const versions = path.join(wrapperDir, "versions");
  const jars = existsSync(versions) ? readdirSync(versions).filter((f) => f.endsWith(".jar")) : [];
  // The newest version the wrapper downloaded.
  const newest = jars.sort((a, b) => a.localeCompare(b, "en", { numeric: true })).at(-1);
  if (newest !== undefined) return path.join(versions, newest);
  missing.push(`the openapi-generator jar (${WRAPPER_PACKAGE} is installed but has not downloaded its jar, which needs network access; set ${JAR_VARIABLE} to a local jar)`);
  return undefined;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The one line printed when the engine cannot run. */
export function missingToolsMessage(missing: readonly string[]): string {
  return `carewire: the openapi-generator engine cannot run: missing ${missing.join(" and ")}`;
}

/**
 * The openapi-generator command line: `typescript-fetch`, ES modules with `.js` import
 * extensions (what Node and carewire use), the generated files under `outDir`.
 */
export function openApiGeneratorCommandLine(java: string, jar: string, request: OpenApiGeneratorRequest): { readonly file: string; readonly args: readonly string[] } {
  return {
    file: java,
    args: [
      "-jar",
      jar,
      "generate",
      "--generator-name",
      "typescript-fetch",
      "--input-spec",
      path.resolve(request.spec),
      "--output",
      path.resolve(request.outDir),
      "--additional-properties",
      "supportsES6=true,importFileExtension=.js,withInterfaces=false",
    ],
  };
}

/** Names of the files carewire adds to the generated client. */
export const WRAPPER_FILE = "carewire.ts";
export const OPERATIONS_FILE = "carewire-operations.ts";

/**
 * `carewire.ts`: the generated `Configuration` with carewire's fetch, the spec's operations
 * given so each request runs with its operation's hints.
 */
export function carewireWrapperSource(request: OpenApiGeneratorRequest): string {
  const factory = `create${toPascalIdentifier(request.name)}Configuration`;
  return `// Generated by carewire beside openapi-generator's typescript-fetch client. Do not edit: run \`carewire generate --engine openapi-generator\` again.
import { carewireFetch, type CarewireFetchOptions } from "carewire";
import { operations } from "./${OPERATIONS_FILE.replace(/\.ts$/, ".js")}";
import { Configuration, type ConfigurationParameters } from "./runtime.js";

/**
 * The client's Configuration with carewire's runtime under it: retries (Retry-After aware),
 * pacing, circuit breaking, idempotency keys, deadlines and size bounds for every request.
 * The generated client does not retry on its own, so nothing is retried twice.
 */
export function ${factory}(parameters: Omit<ConfigurationParameters, "fetchApi"> = {}, options: CarewireFetchOptions = {}): Configuration {
  return new Configuration({ ...parameters, fetchApi: carewireFetch({ provider: ${JSON.stringify(request.name)}, operations, ...options }) });
}
`;
}

/** `carewire-operations.ts`: the spec's operations as carewire's runtime reads them. */
export function operationsSource(spec: string, descriptors: readonly unknown[]): string {
  const lines = descriptors.map((d) => JSON.stringify(d).replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${"));
  return `// Generated by carewire from ${spec.replace(/\\/g, "/")}. Do not edit: change the spec and generate again.
import type { OperationDescriptor } from "carewire";

/** Every operation of the spec, with its carewire hints: carewireFetch matches requests against them. */
export const operations: readonly OperationDescriptor[] = JSON.parse(\`[
${lines.join(",\n")}
]\`);
`;
}

/** Runs the engine; returns the exit code (0, or 3 when a tool is missing or the generator fails). */
export async function runOpenApiGenerator(request: OpenApiGeneratorRequest, environment: ToolEnvironment, write: (line: string) => void): Promise<number> {
  const tools = findOpenApiGenerator(environment);
  if (!tools.found) {
    write(missingToolsMessage(tools.missing));
    return 3;
  }
  // The spec is read (and refused with its SpecError) before Java starts.
  const spec = await loadSpec(request.spec);
  const descriptors = buildRegistry(spec.document, request.spec).map((entry) => entry.descriptor);
  const command = openApiGeneratorCommandLine(tools.java, tools.jar, request);
  const ran = spawnSync(command.file, command.args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", maxBuffer: 16 * 1024 * 1024, timeout: GENERATOR_LIMIT_MS, killSignal: "SIGKILL" });
  if (ran.status !== 0) {
    const last = (ran.stderr ?? "").trim().split("\n").at(-1) ?? "";
    write(`carewire: openapi-generator failed (exit ${ran.status ?? ran.signal ?? "unknown"})${last ? `: ${last.slice(0, 300)}` : ""}`);
    return 3;
  }
  await mkdir(request.outDir, { recursive: true });
  await writeFile(path.join(request.outDir, OPERATIONS_FILE), operationsSource(request.spec, descriptors));
  await writeFile(path.join(request.outDir, WRAPPER_FILE), carewireWrapperSource(request));
  return 0;
}
