/**
 * Whatever a provider is called, its generated client compiles under the strictest settings:
 * names that are reserved words, that equal what the generated code imports (`fhir` and
 * `createFhirClient`, `resource` and `ResourceClient`), or that carry dashes.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { runGenerate } from "carewire/codegen";
import { ROOT, childTestTimeout } from "../helpers/cli.js";
import { STRICTEST_PROGRAM } from "../helpers/strictest.js";

const FHIR_NAMES = ["fhir", "resource", "system", "carewire-fhir", "class"];
const OPENAPI_NAMES = ["default", "my-api", "operations", "client-options"];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-provider-names-"));
  // The app's `carewire` is this repository (read from source through the carewire-source condition).
  await mkdir(path.join(tmp, "node_modules"));
  await symlink(ROOT, path.join(tmp, "node_modules/carewire"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function pascal(name: string): string {
  return name.split("-").map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join("");
}

describe("generated clients under awkward provider names", () => {
  it(
    "compile with strictest settings, each beside the others in one app",
    async () => {
      const specs = [...FHIR_NAMES.map((name) => ({ name, spec: "specs/fhir-r4/capability.json" })), ...OPENAPI_NAMES.map((name) => ({ name, spec: "specs/clinic/openapi.yaml" }))];
      for (const { name, spec } of specs) {
        const report = await runGenerate({ mode: "single", spec: path.join(ROOT, spec), outDir: path.join(tmp, name), name, check: false });
        expect(report.providers.map((p) => p.name)).toEqual([name]);
      }
      // One app imports every client, so a name clash between them would show too.
      const app = path.join(tmp, "app.mts");
      await writeFile(
        app,
        specs
          .map(({ name }, i) => `import { create${pascal(name)}Client as make${i} } from "./${name}/index.js";\nexport const client${i} = make${i}({ baseUrl: "https://example.test" });`)
          .join("\n"),
      );
      const program = ts.createProgram({
        rootNames: [app],
        options: { ...STRICTEST_PROGRAM, noPropertyAccessFromIndexSignature: true, skipLibCheck: true },
      });
      const errors = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file === undefined || !path.relative(tmp, d.file.fileName).startsWith(".."))
        .map((d) => `${d.file ? path.relative(tmp, d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
      expect(errors).toEqual([]);
    },
    childTestTimeout(1),
  );
});
