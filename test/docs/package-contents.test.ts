/**
 * What `npm pack` puts in the package beside the code: the README, the licence text the
 * package's `license` names, the changelog, the x-carewire vocabulary, and the metadata a
 * registry page shows. The API reference (docs/api/) is a build artifact and stays out.
 */
import { describe, expect, it } from "@jest/globals";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ROOT, childTestTimeout, runNode } from "../helpers/cli.js";

/** npm's own CLI, beside the node running this test (as the installers put it). */
const NPM = path.join(path.dirname(process.execPath), "../lib/node_modules/npm/bin/npm-cli.js");

describe("the package's paperwork", () => {
  it("packs the README, LICENSE, CHANGELOG and every doc the README links, not the built API reference", async () => {
    const result = await runNode([NPM, "pack", "--dry-run", "--json", "--ignore-scripts"]);
    expect(result.code).toBe(0);
    const [packed] = JSON.parse(result.stdout) as Array<{ files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    const linked = [...(await readFile(path.join(ROOT, "README.md"), "utf8")).matchAll(/\((docs\/[\w-]+\.md)[)#]/g)].map((match) => match[1]!);
    expect(linked).toEqual(expect.arrayContaining(["docs/x-carewire.md", "docs/polling.md", "docs/webhooks.md"]));
    expect(files).toEqual(expect.arrayContaining(["README.md", "LICENSE", "CHANGELOG.md", "package.json", ...linked]));
    expect(files.filter((f) => f.startsWith("docs/api/") || f.endsWith(".png"))).toEqual([]);
  }, childTestTimeout(1));

  it("runs nothing when installed: no install-time script an installer would stop to ask about", async () => {
    // npm 11 lists a package's install scripts (prepare among them) for the user to allow; the build runs before packing instead.
    const pkg = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(Object.keys(pkg.scripts).filter((name) => ["preinstall", "install", "postinstall", "prepare"].includes(name))).toEqual([]);
    expect(pkg.scripts.prepack).toBe("npm run build");
  });

  it("names its licence, repository, homepage, issue tracker, keywords and author", async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      license: "Apache-2.0",
      repository: { type: "git", url: expect.stringMatching(/^git\+https:\/\/github\.com\/carewire\/carewire\.git$/) },
      homepage: expect.stringMatching(/^https:\/\/github\.com\/carewire\/carewire/),
      bugs: { url: "https://github.com/carewire/carewire/issues" },
      keywords: expect.arrayContaining(["fhir", "openapi"]),
      author: expect.any(String),
    });
    const licence = await readFile(path.join(ROOT, "LICENSE"), "utf8");
    expect(licence).toContain("Apache License\n                           Version 2.0, January 2004");
    expect(licence).toContain("END OF TERMS AND CONDITIONS");
    const changelog = await readFile(path.join(ROOT, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(/^## \[0\.1\.0\]$/m);
    expect(changelog).toContain(`[0.1.0]: https://github.com/carewire/carewire/releases/tag/v${String(pkg.version)}`);
  });
});
