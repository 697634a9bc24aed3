/**
 * A team changes the generated output through templates, without
 * forking the generator; a broken template gets a clear error naming it.
 */
import { describe, expect, it } from "@jest/globals";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_TEMPLATE_DIR, runGenerate } from "carewire/codegen";
import { ROOT } from "../helpers/cli.js";
import { tempDirForFile } from "../helpers/temp-dir.js";

const SPEC = path.join(ROOT, "specs/clinic/openapi.yaml");
const tmp = tempDirForFile("templates");

describe("templates", () => {
  it("uses a team's template where one is given and the defaults for the rest", async () => {
    const custom = tmp("team-templates");
    await mkdir(custom, { recursive: true });
    const original = await readFile(path.join(DEFAULT_TEMPLATE_DIR, "client.ts.hbs"), "utf8");
    await writeFile(path.join(custom, "client.ts.hbs"), `// Owned by the integrations team.\n${original}`);

    await runGenerate({ mode: "single", spec: SPEC, outDir: tmp("default"), name: "clinic", check: false });
    await runGenerate({ mode: "single", spec: SPEC, outDir: tmp("custom"), name: "clinic", check: false, templates: custom });

    const client = await readFile(tmp("custom/client.ts"), "utf8");
    expect(client.startsWith("// Owned by the integrations team.\n")).toBe(true);
    expect(client.slice(client.indexOf("\n") + 1)).toBe(await readFile(tmp("default/client.ts"), "utf8"));
    for (const file of ["operations.ts", "schemas.ts", "index.ts", "schema.d.ts"]) {
      expect(await readFile(tmp("custom", file), "utf8")).toBe(await readFile(tmp("default", file), "utf8"));
    }
  });

  it("names the template and the problem when a template refers to something that does not exist", async () => {
    const broken = tmp("broken-templates");
    await mkdir(broken, { recursive: true });
    await writeFile(path.join(broken, "index.ts.hbs"), "{{{header}}}\nexport const x = {{{noSuchField}}};\n");
    const outDir = tmp("broken-out");
    await expect(runGenerate({ mode: "single", spec: SPEC, outDir, name: "clinic", check: false, templates: broken })).rejects.toMatchObject({
      kind: "template-invalid",
      message: expect.stringMatching(/index\.ts\.hbs: "noSuchField" not defined/),
    });
    await expect(readdir(outDir)).rejects.toThrow();
  });
});
