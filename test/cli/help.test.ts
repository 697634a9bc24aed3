/**
 * `--help` on every command, `--version`, usage errors of one line, and what the help path
 * loads: nothing of the codegen, the simulator or a database driver.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { main } from "../../src/cli/main.js";
import { ROOT, childTestTimeout, cliCommand, runCli, runNode } from "../helpers/cli.js";

let stdout: string;
let stderr: string;
beforeEach(() => {
  stdout = "";
  stderr = "";
  jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
});

describe("carewire <command> --help", () => {
  it.each([
    ["generate", "carewire generate"],
    ["mock", "carewire mock <spec>"],
    ["contract", "carewire contract <spec>"],
    ["outbox", "carewire outbox status"],
    ["outbox status", "carewire outbox status"],
    ["outbox list", "carewire outbox list"],
    ["outbox replay", "carewire outbox replay"],
    ["outbox purge", "carewire outbox purge"],
    ["reconcile", "carewire reconcile --source"],
    ["init", "carewire init"],
  ])("%s: its usage on stdout, exit 0 (--help and -h, wherever they stand)", async (command, usage) => {
    const words = command.split(" ");
    for (const args of [[...words, "--help"], [...words, "-h"], [words[0]!, "--help", ...words.slice(1)], [...words, "--store", "sqlite:x", "--help"]]) {
      stdout = "";
      expect(await main(args)).toBe(0);
      expect(stdout.startsWith(`usage:\n  ${usage}`)).toBe(true);
      expect(stderr).toBe("");
    }
  });

  it("prints a subcommand's own lines and the command's notes, for --help and for `help <command>`", async () => {
    for (const args of [["outbox", "purge", "--help"], ["help", "outbox", "purge"]]) {
      stdout = "";
      expect(await main(args)).toBe(0);
      expect(stdout.split("\n").filter((l) => l.startsWith("  carewire"))).toEqual(["  carewire outbox purge --before <time> [--dead] [--store <url>]"]);
      expect(stdout).toContain("<time> is an ISO date or an age");
    }
    stdout = "";
    expect(await main(["help", "init"])).toBe(0);
    expect(stdout.startsWith("usage:\n  carewire init [--name <provider>]")).toBe(true);
    expect(await main(["help", "frobnicate"])).toBe(2);
    expect(stderr).toBe('carewire: no help for "frobnicate": not a command (see `carewire --help`)\n');
  });

  it("prints every command's usage for `help`, --help and -h (exit 0), and for nothing at all (exit 2)", async () => {
    for (const args of [["help"], ["--help"], ["-h"]]) {
      stdout = "";
      expect(await main(args)).toBe(0);
      for (const command of ["generate", "mock", "contract", "outbox", "reconcile", "init"]) expect(stdout).toContain(`  carewire ${command}`);
      expect(stdout).toContain("carewire --version");
    }
    stdout = "";
    expect(await main([])).toBe(2);
    expect(stdout).toContain("  carewire generate");
  });

  it("does not take a --help after -- for a flag", async () => {
    expect(await main(["generate", "--", "--help"])).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe("carewire: generate: Unexpected argument '--help'. This command does not take positional arguments (see `carewire generate --help`)\n");
  });
});

describe("usage errors", () => {
  it.each([
    [["generate", "--frobnicate"], "carewire: generate: Unknown option '--frobnicate' (see `carewire generate --help`)"],
    [["generate", "--spec", "x.yaml"], "carewire: generate: --spec, --out and --name go together (see `carewire generate --help`)"],
    [["generate", "--check", "--watch"], "carewire: generate: --check and --watch do not go together (see `carewire generate --help`)"],
    [["generate", "--overlay", "o.yaml"], "carewire: generate: --overlay goes with --spec (a config lists a provider's overlays) (see `carewire generate --help`)"],
    [["mock"], "carewire: mock needs exactly one spec file (see `carewire mock --help`)"],
    [["mock", "a.yaml", "--port", "99999"], 'carewire: mock: --port needs a whole number from 0 to 65535, got "99999" (see `carewire mock --help`)'],
    [["outbox", "flush"], 'carewire: outbox needs status, list, replay or purge, got "flush" (see `carewire outbox --help`)'],
    [["init", "--name", "Bad Name"], 'carewire: init: --name "Bad Name" must be lower-case letters, digits and dashes, starting with a letter (see `carewire init --help`)'],
    [["frobnicate"], 'carewire: unknown command "frobnicate" (see `carewire --help`)'],
  ])("%j → one line naming --help, exit 2", async (args, line) => {
    expect(await main(args)).toBe(2);
    expect(stderr).toBe(`${line}\n`);
    expect(stdout).toBe("");
  });
});

describe("the CLI as a child process", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-help-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("prints the version of the package.json beside bin/ for --version and -V", async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const result = await runCli([flag]);
      expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    }
  }, childTestTimeout(2));

  /** The modules a command line loads, as file URLs (node: built-ins left out). */
  async function modulesLoadedBy(args: readonly string[], name: string): Promise<{ code: number; modules: string[] }> {
    const log = path.join(tmp, `${name}.log`);
    const { args: nodeArgs } = cliCommand(args);
    // The recorder goes first: it sees the tsx loader's compiled sources as they load.
    const recorder = pathToFileURL(path.join(ROOT, "test/helpers/record-loads.mjs")).href;
    const result = await runNode(["--import", recorder, ...nodeArgs], { env: { CAREWIRE_LOAD_LOG: log } });
    const modules = (await readFile(log, "utf8")).split("\n").filter((line) => line.startsWith("file:"));
    return { code: result.code, modules };
  }

  const HEAVY = /\/src\/(codegen|testing|outbox|reconcile|fhir|runtime)\/|\/node_modules\/(openapi-typescript|@redocly|better-sqlite3|pg|handlebars|yaml|ajv)\//;

  it("loads nothing of the codegen, the simulator or a driver for help, --version and usage errors", async () => {
    for (const [name, args, code] of [
      ["help", ["help"], 0],
      ["generate-help", ["generate", "--help"], 0],
      ["version", ["--version"], 0],
      ["usage-error", ["generate", "--frobnicate"], 2],
      ["mock-usage-error", ["mock", "--port", "x", "spec.yaml"], 2],
      ["outbox-usage-error", ["outbox", "flush"], 2],
    ] as const) {
      const { code: exit, modules } = await modulesLoadedBy(args, name);
      expect(exit).toBe(code);
      expect(modules.some((m) => m.endsWith("/src/cli/main.ts"))).toBe(true);
      expect(modules.filter((m) => HEAVY.test(m))).toEqual([]);
    }
    // The recorder does see what a command imports when it runs: the codegen, for generate.
    const { code, modules } = await modulesLoadedBy(["generate", "--spec", path.join(tmp, "missing.yaml"), "--out", path.join(tmp, "o"), "--name", "x"], "generate");
    expect(code).toBe(2);
    expect(modules.some((m) => m.endsWith("/src/codegen/run.ts"))).toBe(true);
  }, childTestTimeout(7));
});
