/** `carewire init`: a starter that generates as written, and never a file written over. */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { initCommand } from "../../src/cli/init-command.js";
import { childTestTimeout, runCli } from "../helpers/cli.js";

let tmp: string;
let n = 0;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-init-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = path.join(tmp, `d${n++}`);
  await mkdir(dir);
  return dir;
}

async function init(args: readonly string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await initCommand(args, { cwd, stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe("carewire init", () => {
  it("writes a config naming the spec to add, and says what to do next", async () => {
    const dir = await freshDir();
    const result = await init([], dir);
    expect(result.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, "carewire.config.json"), "utf8"))).toEqual({
      outDir: "src/gen",
      providers: [{ name: "example", spec: "specs/example.openapi.yaml" }],
    });
    expect(await readdir(dir)).toEqual(["carewire.config.json"]);
    expect(result.out).toBe(
      [
        "carewire: wrote carewire.config.json",
        "next:",
        `  put example's OpenAPI spec at specs/example.openapi.yaml (or set "spec" in carewire.config.json to its https:// URL)`,
        "  carewire generate            # the typed client, into src/gen/example (import it as ./gen/example/index.js from src/)",
        "  carewire generate --watch    # and again whenever the spec, an overlay or the config changes",
        "  carewire mock specs/example.openapi.yaml   # a local simulator of the API",
        "",
      ].join("\n"),
    );
  });

  it("takes a provider name and a spec URL", async () => {
    const dir = await freshDir();
    const result = await init(["--name", "stripe", "--spec", "https://example.com/spec3.yaml", "--overlay"], dir);
    expect(result.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, "carewire.config.json"), "utf8"))).toEqual({
      outDir: "src/gen",
      providers: [{ name: "stripe", spec: "https://example.com/spec3.yaml", overlays: ["overlays/stripe.overlay.yaml"] }],
    });
    expect(result.out).not.toContain("carewire mock");
    expect(result.out).toContain("add x-carewire-* hints to overlays/stripe.overlay.yaml");
  });

  it("refuses to write over any existing file: one line, exit 2, nothing written", async () => {
    const dir = await freshDir();
    await mkdir(path.join(dir, "overlays"));
    await writeFile(path.join(dir, "overlays/example.overlay.yaml"), "mine\n");
    const result = await init(["--sample-spec", "--overlay"], dir);
    expect(result).toEqual({ code: 2, out: "", err: "carewire: init: overlays/example.overlay.yaml already exists; nothing written (move it away, or edit it instead)\n" });
    expect((await readdir(dir)).sort()).toEqual(["overlays"]);
    expect(await readFile(path.join(dir, "overlays/example.overlay.yaml"), "utf8")).toBe("mine\n");

    const again = await freshDir();
    await writeFile(path.join(again, "carewire.config.json"), "{}\n");
    expect((await init([], again)).err).toBe("carewire: init: carewire.config.json already exists; nothing written (--add --name <provider> --spec <file> adds a provider to it)\n");
    expect(await readFile(path.join(again, "carewire.config.json"), "utf8")).toBe("{}\n");
  });

  it("--add puts one more provider into the config that is there, and refuses what it cannot add, changing nothing", async () => {
    const dir = await freshDir();
    expect((await init([], dir)).code).toBe(0);
    const added = await init(["--add", "--name", "ndhm", "--spec", "specs/ndhm.json", "--overlay"], dir);
    expect(added).toMatchObject({ code: 0, err: "" });
    expect(added.out).toContain("carewire: wrote carewire.config.json (added ndhm), overlays/ndhm.overlay.yaml\n");
    expect(JSON.parse(await readFile(path.join(dir, "carewire.config.json"), "utf8"))).toEqual({
      outDir: "src/gen",
      providers: [
        { name: "example", spec: "specs/example.openapi.yaml" },
        { name: "ndhm", spec: "specs/ndhm.json", overlays: ["overlays/ndhm.overlay.yaml"] },
      ],
    });
    const before = await readFile(path.join(dir, "carewire.config.json"), "utf8");
    await expect(init(["--add", "--name", "ndhm"], dir)).rejects.toThrow('--add: carewire.config.json already has a provider named "ndhm"; nothing written (pick another --name)');
    // The new provider's overlay is there already: refused before the config is touched.
    const clash = await freshDir();
    await writeFile(path.join(clash, "carewire.config.json"), before);
    await mkdir(path.join(clash, "overlays"));
    await writeFile(path.join(clash, "overlays/third.overlay.yaml"), "mine\n");
    expect(await init(["--add", "--name", "third", "--overlay"], clash)).toEqual({ code: 2, out: "", err: "carewire: init: overlays/third.overlay.yaml already exists; nothing written (move it away, or edit it instead)\n" });
    expect(await readFile(path.join(clash, "carewire.config.json"), "utf8")).toBe(before);
    const empty = await freshDir();
    await expect(init(["--add", "--name", "x"], empty)).rejects.toThrow("--add: there is no carewire.config.json here to add to");
    await writeFile(path.join(empty, "carewire.config.json"), "{ not json");
    await expect(init(["--add", "--name", "x"], empty)).rejects.toThrow("--add: carewire.config.json is not valid JSON; nothing written");
    expect(await readFile(path.join(empty, "carewire.config.json"), "utf8")).toBe("{ not json");
  });

  it("a sample spec and an overlay skeleton that generate as written, from a shell", async () => {
    const dir = await freshDir();
    const first = await runCli(["init", "--sample-spec", "--overlay"], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("carewire: wrote carewire.config.json, specs/example.openapi.yaml, overlays/example.overlay.yaml\n");
    const generated = await runCli(["generate"], { cwd: dir });
    expect(generated.stderr).toBe("");
    expect(generated.stdout).toBe("carewire: example: 3 operations → src/gen/example (8 files)\n");
    expect(generated.code).toBe(0);
    // The overlay's root rate limit reached every operation's descriptor.
    const operations = await readFile(path.join(dir, "src/gen/example/operations.ts"), "utf8");
    expect(operations.match(/"rateLimit":\{"limit":60,"windowSeconds":60,"scope":"client_id"\}/g)).toHaveLength(3);

    const second = await runCli(["init"], { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toBe("carewire: init: carewire.config.json already exists; nothing written (--add --name <provider> --spec <file> adds a provider to it)\n");
  }, childTestTimeout(3));
});
