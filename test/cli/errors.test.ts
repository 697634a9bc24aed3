/**
 * What a user sees when the environment or the input is wrong: one line each, no stack
 * trace, and the documented exit code (2 bad input, 3 a failure).
 */
import { describe, expect, it } from "@jest/globals";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { loadConfig } from "../../src/codegen/config.js";
import { ROOT, childTestTimeout, runCli } from "../helpers/cli.js";
import { tempDirForFile } from "../helpers/temp-dir.js";

const tmp = tempDirForFile("errors");

describe("carewire mock on a busy port", () => {
  it("says the port is in use and how to pick another: one line, exit 3", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      for (const spec of ["specs/clinic/openapi.yaml", "specs/fhir-r4/capability.json"]) {
        const result = await runCli(["mock", spec, "--port", String(port)]);
        expect(result).toEqual({ code: 3, stdout: "", stderr: `carewire: port ${port} is in use; pick another with --port\n` });
      }
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, childTestTimeout(2));
});

describe("config files", () => {
  it("names a missing config file and how to make one (exit 2)", async () => {
    const empty = tmp("empty");
    await mkdir(empty);
    const result = await runCli(["generate"], { cwd: empty });
    expect(result).toEqual({ code: 2, stdout: "", stderr: "carewire: carewire.config.json: not found (create one with `carewire init`, or name another with --config <file>)\n" });
  }, childTestTimeout(1));

  it.each<[string, string | undefined, string]>([
    ["a directory", undefined, "is a directory, not a config file"],
    ["not JSON", "{ providers: ", "not valid JSON: "],
    ["too large to be a config", `{"providers":[]}${" ".repeat(1024 * 1024)}`, "larger than 1 MB: not a carewire config"],
    ["no providers", "{}", "needs a `providers` array"],
    ["a provider without a spec", '{ "providers": [{ "name": "a" }] }', "each provider needs string `name` and `spec`"],
    ["overlays that are not a list", '{ "providers": [{ "name": "a", "spec": "a.yaml", "overlays": "o.yaml" }] }', "`overlays` is a list of overlay files (or URLs)"],
    ["an outDir that is not a string", '{ "outDir": 3, "providers": [] }', "`outDir` must be a non-empty string (a directory)"],
  ])("%s: names the file and what is wrong", async (label, content, reason) => {
    const file = tmp(`${label.replace(/\W+/g, "-")}.json`);
    if (content === undefined) await mkdir(file);
    else await writeFile(file, content);
    const error = await loadConfig(file).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "config-invalid", file });
    expect((error as Error).message).toContain(`${file}`);
    expect((error as Error).message).toContain(reason);
  });

  it("keeps a spec URL as it is and resolves overlays against the config's directory", async () => {
    const dir = tmp("nested");
    await mkdir(dir);
    const file = path.join(dir, "c.json");
    await writeFile(file, JSON.stringify({ providers: [{ name: "s", spec: "https://example.com/openapi.yaml", overlays: ["o/s.yaml", "http://example.com/o.yaml"] }] }));
    const config = await loadConfig(file);
    expect(config.providers).toEqual([{ name: "s", spec: "https://example.com/openapi.yaml", overlays: [path.relative(process.cwd(), path.join(dir, "o/s.yaml")), "http://example.com/o.yaml"] }]);
  });

  it("names a spec file the config points at that is not there, and an overlay that is not there (exit 2)", async () => {
    const dir = tmp("missing-spec");
    await mkdir(dir);
    await writeFile(path.join(dir, "carewire.config.json"), JSON.stringify({ providers: [{ name: "a", spec: "specs/nope.yaml" }] }));
    const spec = await runCli(["generate"], { cwd: dir });
    expect(spec).toEqual({ code: 2, stdout: "", stderr: "carewire: specs/nope.yaml: file not found or not readable\n" });

    const overlay = await runCli(["generate", "--spec", path.join(ROOT, "specs/clinic/openapi.yaml"), "--out", path.join(dir, "out"), "--name", "c", "--overlay", "nope.overlay.yaml"], { cwd: dir });
    expect(overlay).toEqual({ code: 2, stdout: "", stderr: "carewire: nope.overlay.yaml: overlay file not found or not readable\n" });
  }, childTestTimeout(2));
});

describe("overlays from the command line", () => {
  it("applies --overlay files in order, and --check sees a changed overlay as stale output (exit 1)", async () => {
    const dir = tmp("overlay-check");
    await mkdir(dir);
    const write = (criticality: string) =>
      writeFile(path.join(dir, "crit.yaml"), `overlay: 1.0.0\ninfo: { title: t, version: '1' }\nactions:\n  - target: $.paths.*[?(@.operationId)]\n    update: { x-carewire-criticality: ${criticality} }\n`);
    await write("batch");
    await writeFile(
      path.join(dir, "drop.yaml"),
      "overlay: 1.0.0\ninfo: { title: t, version: '1' }\nactions:\n  - target: $.paths['/practitioners/{practitionerId}/slots']\n    remove: true\n",
    );
    const args = ["--spec", path.join(ROOT, "specs/clinic/openapi.yaml"), "--out", "out", "--name", "clinic", "--overlay", "crit.yaml", "--overlay", "drop.yaml"];
    const generated = await runCli(["generate", ...args], { cwd: dir });
    expect(generated).toEqual({ code: 0, stdout: "carewire: clinic: 11 operations → out (8 files)\n", stderr: "" });
    const operations = await readFile(path.join(dir, "out/operations.ts"), "utf8");
    expect(operations.match(/"criticality":"batch"/g)).toHaveLength(11);
    expect(operations).not.toContain("listAvailableSlots");

    expect((await runCli(["generate", ...args, "--check"], { cwd: dir })).code).toBe(0);
    await write("critical");
    const stale = await runCli(["generate", ...args, "--check"], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("carewire: generated code is stale");
    expect(stale.stderr).toContain("out/operations.ts");
  }, childTestTimeout(3));
});

describe("a spec openapi-typescript refuses", () => {
  it("ends in one carewire line naming the spec and where, with exit 2, not an internal error", async () => {
    // A discriminator mapping into a file that is not there: carewire's loader does not follow
    // mappings, openapi-typescript (through Redocly) does, and refuses.
    const spec = tmp("broken-mapping.json");
    const pet = { type: "object", properties: { kind: { type: "string" } } };
    const body = { oneOf: [pet], discriminator: { propertyName: "kind", mapping: { cat: "models/cat.yml" } } };
    await writeFile(spec, JSON.stringify({ openapi: "3.0.3", info: { title: "t", version: "1" }, paths: { "/pets": { post: { operationId: "addPet", requestBody: { content: { "application/json": { schema: body } } }, responses: { "204": { description: "ok" } } } } } }));
    const result = await runCli(["generate", "--spec", spec, "--out", tmp("broken-out"), "--name", "broken"]);
    expect(result.code).toBe(2);
    const last = result.stderr.trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(new RegExp(`^carewire: ${spec.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}#/paths/~1pets/post/requestBody/content/application~1json/schema/discriminator/mapping/cat: openapi-typescript cannot make its types: Can't resolve \\$ref`));
    expect(result.stderr).not.toContain("internal error");
  }, childTestTimeout(1));
});
