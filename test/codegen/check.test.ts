/**
 * `carewire generate --check`: exit 0 when generated/ matches the
 * specs, exit 1 naming the stale files when a file is deleted or a spec is edited.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ROOT, childTestTimeout, runCli } from "../helpers/cli.js";

let project: string;
beforeAll(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), "carewire-check-"));
  await cp(path.join(ROOT, "specs/clinic/openapi.yaml"), path.join(project, "specs/clinic/openapi.yaml"), { recursive: true });
  await writeFile(
    path.join(project, "carewire.config.json"),
    JSON.stringify({ outDir: "generated", providers: [{ name: "clinic", spec: "specs/clinic/openapi.yaml" }] }),
  );
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe("carewire generate --check", () => {
  it("passes on this repository's committed generated/ (CI fails when it is stale)", async () => {
    const result = await runCli(["generate", "--check"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("up to date");
  }, childTestTimeout(1));

  it("exits 0 right after generating, 1 after a generated file is deleted, 0 again after regenerating", async () => {
    expect((await runCli(["generate"], { cwd: project })).code).toBe(0);
    expect((await runCli(["generate", "--check"], { cwd: project })).code).toBe(0);

    await unlink(path.join(project, "generated/clinic/operations.ts"));
    const stale = await runCli(["generate", "--check"], { cwd: project });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("generated/clinic/operations.ts");

    expect((await runCli(["generate"], { cwd: project })).code).toBe(0);
    expect((await runCli(["generate", "--check"], { cwd: project })).code).toBe(0);
  }, childTestTimeout(5));

  it("exits 1 when the spec is edited, naming every file that would change", async () => {
    const spec = path.join(project, "specs/clinic/openapi.yaml");
    const original = await readFile(spec, "utf8");
    await writeFile(spec, original.replace("summary: Get a patient", "summary: Fetch one patient"));
    try {
      const stale = await runCli(["generate", "--check"], { cwd: project });
      expect(stale.code).toBe(1);
      const named = stale.stderr.split("\n").filter((l) => l.startsWith("  ")).map((l) => l.trim());
      expect(named).toEqual(expect.arrayContaining(["generated/clinic/client-types.d.ts", "generated/clinic/operations.ts", "generated/clinic/schema.d.ts"]));
      expect(named).not.toContain("generated/clinic/schemas.ts");
    } finally {
      await writeFile(spec, original);
    }
  }, childTestTimeout(1));

  it("flags a stray file in a provider directory", async () => {
    await writeFile(path.join(project, "generated/clinic/leftover.ts"), "export {};\n");
    const stale = await runCli(["generate", "--check"], { cwd: project });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("generated/clinic/leftover.ts");
    await unlink(path.join(project, "generated/clinic/leftover.ts"));
  }, childTestTimeout(1));
});
