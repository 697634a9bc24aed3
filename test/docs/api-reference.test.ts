/**
 * `npm run docs` builds the API reference of every public entry point with no warning:
 * typedoc.json treats warnings as errors, so an exported signature that names a type the
 * reference cannot link to (not exported from any entry point) fails here. The check runs
 * typedoc with the same configuration but writes no HTML (`--emit none`) and skips its own
 * type check (`npm test` type-checks first): about 20 to 30 s on a loaded two-core machine.
 */
import { describe, expect, it } from "@jest/globals";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ROOT, childTestTimeout, runNode } from "../helpers/cli.js";

const TYPEDOC = path.join(ROOT, "node_modules/typedoc/bin/typedoc");

describe("the API reference", () => {
  it("covers the package's entry points", async () => {
    const config = JSON.parse(await readFile(path.join(ROOT, "typedoc.json"), "utf8")) as { entryPoints: string[]; treatWarningsAsErrors: boolean; out: string };
    const pkg = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { exports: Record<string, { "carewire-source"?: string }>; scripts: Record<string, string> };
    const documented = Object.entries(pkg.exports)
      .filter(([subpath]) => [".", "./fhir", "./testing", "./outbox", "./reconcile", "./webhooks", "./polling", "./codegen"].includes(subpath))
      .map(([, target]) => target["carewire-source"]?.replace(/^\.\//, ""));
    expect(config.entryPoints.sort()).toEqual(documented.sort());
    expect(config.treatWarningsAsErrors).toBe(true);
    expect(config.out).toBe("docs/api");
    expect(pkg.scripts.docs).toBe("typedoc");
  });

  it("builds with no warning", async () => {
    const result = await runNode([TYPEDOC, "--emit", "none", "--skipErrorChecking"]);
    const output = `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
    expect(output).not.toMatch(/\[(warning|error)\]/);
    expect(result.code).toBe(0);
  }, childTestTimeout(1));
});
