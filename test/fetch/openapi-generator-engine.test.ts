/**
 * `carewire generate --engine openapi-generator`: without the generator's jar (this
 * machine has Java, not the jar) it ends with one line naming what is missing, exit 3,
 * nothing written; and what it would run and write when both are here.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import type { OperationDescriptor } from "carewire";
import { buildRegistry, loadSpec } from "carewire/codegen";
import { splitEngine } from "../../src/cli/engine-option.js";
import { carewireWrapperSource, findOpenApiGenerator, missingToolsMessage, openApiGeneratorCommandLine, operationsSource, runOpenApiGenerator } from "../../src/codegen/engines/openapi-generator.js";
import { UsageError } from "../../src/cli/usage-error.js";
import { childTestTimeout, ROOT, runCli } from "../helpers/cli.js";
import { CLINIC_SPEC } from "../helpers/simulator.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-oag-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const request = () => ({ spec: CLINIC_SPEC, outDir: path.join(tmp, "out"), name: "clinic" });

describe("when the generator cannot run", () => {
  it(
    "ends with one line naming the missing jar, exit 3, nothing written",
    async () => {
      const out = path.join(tmp, "cli-out");
      const result = await runCli(["generate", "--engine", "openapi-generator", "--spec", "specs/clinic/openapi.yaml", "--out", out, "--name", "clinic"], { env: { OPENAPI_GENERATOR_JAR: "" } });
      expect(result.code).toBe(3);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        "carewire: the openapi-generator engine cannot run: missing the openapi-generator jar (set OPENAPI_GENERATOR_JAR to a local openapi-generator-cli jar, or install @openapitools/openapi-generator-cli)\n",
      );
      await expect(readdir(out)).rejects.toMatchObject({ code: "ENOENT" });
    },
    childTestTimeout(1),
  );

  it(
    "names a jar variable that points at nothing, and refuses an unknown engine as a usage error",
    async () => {
      const args = ["generate", "--spec", "specs/clinic/openapi.yaml", "--out", path.join(tmp, "x"), "--name", "clinic"];
      const badJar = await runCli([...args, "--engine=openapi-generator"], { env: { OPENAPI_GENERATOR_JAR: "/nowhere/openapi-generator-cli.jar" } });
      expect(badJar.code).toBe(3);
      expect(badJar.stderr.split("\n").filter((l) => l !== "")).toEqual(["carewire: the openapi-generator engine cannot run: missing the openapi-generator jar (OPENAPI_GENERATOR_JAR=/nowhere/openapi-generator-cli.jar is not a file)"]);
      const unknown = await runCli([...args, "--engine", "swagger-codegen"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/^carewire: generate: --engine must be one of carewire, openapi-generator \(got "swagger-codegen"\)/);
    },
    childTestTimeout(2),
  );

  it("lists Java and the jar in the same line when both are missing", () => {
    const search = findOpenApiGenerator({ env: { JAVA_HOME: path.join(tmp, "no-java"), OPENAPI_GENERATOR_JAR: "" }, cwd: tmp });
    expect(search.found).toBe(false);
    if (search.found) return;
    const line = missingToolsMessage(search.missing);
    expect(line).toMatch(/^carewire: the openapi-generator engine cannot run: missing java \(no working `.*no-java\/bin\/java -version`; openapi-generator needs Java 11 or later\) and the openapi-generator jar \(/);
    expect(line).not.toContain("\n");
  });

  it("reports a jar Java cannot run in one line, and writes nothing", async () => {
    const notAJar = path.join(tmp, "not-a.jar");
    await writeFile(notAJar, "plain text, not a zip");
    const lines: string[] = [];
    const code = await runOpenApiGenerator(request(), { env: { OPENAPI_GENERATOR_JAR: notAJar }, cwd: ROOT }, (line) => lines.push(line));
    expect(code).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^carewire: openapi-generator failed \(exit 1\): .*jar/i);
    await expect(readdir(request().outDir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("what it runs and writes when Java and the jar are here", () => {
  it("finds Java and a jar named by OPENAPI_GENERATOR_JAR", async () => {
    const jar = path.join(tmp, "openapi-generator-cli-7.10.0.jar");
    await writeFile(jar, "");
    expect(findOpenApiGenerator({ env: { OPENAPI_GENERATOR_JAR: jar }, cwd: tmp })).toEqual({ found: true, java: "java", jar });
  });

  it("runs typescript-fetch with ES module imports into the output directory", () => {
    const line = openApiGeneratorCommandLine("/usr/bin/java", "/opt/oag.jar", { spec: "specs/clinic/openapi.yaml", outDir: "out/clinic", name: "clinic" });
    expect(line).toEqual({
      file: "/usr/bin/java",
      args: [
        "-jar",
        "/opt/oag.jar",
        "generate",
        "--generator-name",
        "typescript-fetch",
        "--input-spec",
        path.resolve("specs/clinic/openapi.yaml"),
        "--output",
        path.resolve("out/clinic"),
        "--additional-properties",
        "supportsES6=true,importFileExtension=.js,withInterfaces=false",
      ],
    });
  });

  it("writes a Configuration factory whose fetchApi is carewireFetch, with the spec's operations", () => {
    const source = carewireWrapperSource({ spec: "specs/chat.yaml", outDir: "out", name: "chat-api" });
    expect(source).toContain('import { carewireFetch, type CarewireFetchOptions } from "carewire";');
    expect(source).toContain('import { operations } from "./carewire-operations.js";');
    expect(source).toContain('import { Configuration, type ConfigurationParameters } from "./runtime.js";');
    expect(source).toContain('export function createChatApiConfiguration(parameters: Omit<ConfigurationParameters, "fetchApi"> = {}, options: CarewireFetchOptions = {}): Configuration {');
    expect(source).toContain('return new Configuration({ ...parameters, fetchApi: carewireFetch({ provider: "chat-api", operations, ...options }) });');
  });

  it("writes the spec's operations as carewire reads them, hints included", async () => {
    const spec = await loadSpec(CLINIC_SPEC);
    const descriptors = buildRegistry(spec.document, CLINIC_SPEC).map((e) => e.descriptor);
    const file = path.join(tmp, "carewire-operations.ts");
    await writeFile(file, operationsSource("specs/clinic/openapi.yaml", descriptors));
    const bundle = path.join(tmp, "carewire-operations.mjs");
    await build({ entryPoints: [file], outfile: bundle, bundle: true, format: "esm", platform: "node", logLevel: "silent" });
    const loaded = (await import(pathToFileURL(bundle).href)) as { operations: readonly OperationDescriptor[] };
    expect(loaded.operations).toEqual(descriptors);
    expect(loaded.operations.find((o) => o.operationId === "createPatient")?.hints.idempotency).toEqual({ header: "Idempotency-Key", required: false });
  });
});

describe("--engine", () => {
  it("defaults to carewire's own generator and leaves the other arguments as they were", () => {
    expect(splitEngine(["--spec", "a.yaml", "--check"])).toEqual({ engine: "carewire", rest: ["--spec", "a.yaml", "--check"] });
    expect(splitEngine(["--engine", "openapi-generator", "--out", "o"])).toEqual({ engine: "openapi-generator", rest: ["--out", "o"] });
    expect(() => splitEngine(["--engine"])).toThrow(UsageError);
  });
});
