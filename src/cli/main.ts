/**
 * `carewire <command>`. Exit codes: 0 ok; 1 the command found something (stale files for
 * `generate --check`, dead letters for `outbox status`, differences for `reconcile`, a firing
 * alert for `report`);
 * 2 bad input (spec, config, arguments, an events file); 3 a failure (a store or server, a port in use,
 * a spec URL that did not answer, or internal).
 *
 * This module loads nothing heavy: each command's module is imported when it runs, so
 * `--help`, `--version` and a mistyped flag are answered without loading the codegen, the
 * simulator or a database driver.
 */
import { readFile } from "node:fs/promises";
import type { GenerateRequest } from "../codegen/run.js";
import { CONTRACT_USAGE, INIT_USAGE, MOCK_USAGE, OUTBOX_USAGE, RECONCILE_USAGE, REPORT_USAGE } from "./usage.js";
import { openApiGeneratorCommand, splitEngine } from "./engine-option.js";
import { asMissingPackage, checkOptionalPackages, MissingPackagesError } from "./optional-packages.js";
import { parseCommandLine, UsageError } from "./usage-error.js";

/**
 * The config file `carewire generate` reads by default: the codegen's CONFIG_FILE, spelled
 * out here because importing it loads the whole generator (seconds), and usage errors and
 * the other commands should not wait for that. A test keeps the two equal.
 */
export const DEFAULT_CONFIG_FILE = "carewire.config.json";

const GENERATE_USAGE = `  carewire generate [--config ${DEFAULT_CONFIG_FILE}] [--templates <dir>] [--check | --watch]
      generate every provider listed in the config file (default: ./${DEFAULT_CONFIG_FILE})
  carewire generate --spec <file | https://…> --out <dir> --name <provider> [--overlay <file>]... [--templates <dir>] [--check | --watch]
      generate one spec into one directory
  --check   compare instead of writing; exit 1 and list the stale files if any differ
  --watch   generate, then again whenever a spec, an overlay or the config changes (Ctrl-C stops)
  a spec may be an http(s) URL; a provider's "overlays" (OpenAPI Overlay 1.0 files) are applied to its spec first
  carewire generate --engine openapi-generator --spec <file> --out <dir> --name <provider>
      openapi-generator's typescript-fetch client with carewireFetch as its fetchApi (needs Java and
      the generator's jar: OPENAPI_GENERATOR_JAR or @openapitools/openapi-generator-cli)`;

const USAGE = `usage:
${GENERATE_USAGE}
${MOCK_USAGE}
${CONTRACT_USAGE}
${OUTBOX_USAGE}
${RECONCILE_USAGE}
${INIT_USAGE}
${REPORT_USAGE}
  carewire --version | <command> --help`;

type CommandRun = (args: readonly string[]) => Promise<number>;

/**
 * Each command: its own usage (for `carewire <command> --help` and its usage errors) and
 * how to load it. A command's module is imported only when that command runs.
 */
const COMMANDS: Readonly<Record<string, { readonly usage: string; readonly load: () => Promise<CommandRun> }>> = {
  generate: { usage: GENERATE_USAGE, load: async () => generateCommand },
  mock: { usage: MOCK_USAGE, load: async () => (await import("./testing-commands.js")).mockCommand },
  contract: { usage: CONTRACT_USAGE, load: async () => (await import("./testing-commands.js")).contractCommand },
  outbox: { usage: OUTBOX_USAGE, load: async () => (await import("./outbox-command.js")).outboxCommand },
  reconcile: { usage: RECONCILE_USAGE, load: async () => (await import("./reconcile-command.js")).reconcileCommand },
  init: { usage: INIT_USAGE, load: async () => (await import("./init-command.js")).initCommand },
  report: { usage: REPORT_USAGE, load: async () => (await import("./report-command.js")).reportCommand },
};

/** The command of that name, or undefined for anything else (a flag, a typo, nothing). */
function commandOf(name: string | undefined) {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const known = commandOf(command);
    if (known !== undefined && asksForHelp(rest)) {
      process.stdout.write(`usage:\n${usageOf(command!, known.usage, rest)}\n`);
      return 0;
    }
    // `carewire help outbox list` reads as `carewire outbox list --help`.
    if (command === "help" && rest[0] !== undefined) {
      const asked = commandOf(rest[0]);
      if (asked === undefined) throw new UsageError(`no help for "${rest[0]}": not a command`);
      process.stdout.write(`usage:\n${usageOf(rest[0], asked.usage, rest.slice(1))}\n`);
      return 0;
    }
    checkOptionalPackages(command);
    if (known !== undefined) return await (await known.load())(rest);
    switch (command) {
      case "--version":
      case "-V":
      case "version":
        process.stdout.write(`${await packageVersion()}\n`);
        return 0;
      case "help":
      case "--help":
      case "-h":
      case undefined:
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const known = commandOf(command) !== undefined;
      process.stderr.write(`carewire: ${known && !error.message.startsWith(`${command} `) ? `${command}: ` : ""}${error.message} (see \`carewire ${known ? `${command} ` : ""}--help\`)\n`);
      return 2;
    }
    // Imported only now: a usage error or `--help` loads nothing of the codegen.
    const { SpecError } = await import("../codegen/spec-error.js");
    if (error instanceof SpecError) {
      process.stderr.write(`carewire: ${error.message}\n`);
      return error.kind === "spec-unreachable" ? 3 : 2;
    }
    // Options a simulator or a contract run cannot work with (an unknown operation id, a zero quota): the user's to fix.
    if ((error as { kind?: unknown } | null)?.kind === "simulator-config" && error instanceof Error) {
      process.stderr.write(`carewire: ${command}: ${error.message}\n`);
      return 2;
    }
    const missing = error instanceof MissingPackagesError ? error : asMissingPackage(command, error);
    if (missing !== undefined) {
      process.stderr.write(`carewire: ${missing.message}\n`);
      return 2;
    }
    // A bug, not the user's doing: one line, and the stack only when asked for.
    const debug = process.env.CAREWIRE_DEBUG !== undefined && process.env.CAREWIRE_DEBUG !== "";
    const message = error instanceof Error ? error.message.replace(/\s*\n\s*/g, " ") : String(error);
    process.stderr.write(`carewire: internal error: ${message}${debug ? `\n${(error as Error).stack ?? ""}` : " (CAREWIRE_DEBUG=1 prints where)"}\n`);
    return 3;
  }
}

/** A command's usage; for a subcommand (`outbox list --help`), its own lines and the notes. */
function usageOf(command: string, usage: string, args: readonly string[]): string {
  const sub = args.find((a) => !a.startsWith("-"));
  const head = `  carewire ${command} ${sub}`;
  const lines = usage.split("\n");
  if (sub === undefined || !lines.some((l) => l === head || l.startsWith(`${head} `))) return usage;
  return lines.filter((l) => l === head || l.startsWith(`${head} `) || l.startsWith("      ")).join("\n");
}

/** `--help` or `-h` anywhere before a `--` (after which arguments are never flags). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** The version in the package.json two levels up: the package root, from src/cli/ as from dist/cli/. */
async function packageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error("package.json has no version");
  return manifest.version;
}

async function generateCommand(args: readonly string[]): Promise<number> {
  const { engine, rest } = splitEngine(args);
  if (engine === "openapi-generator") return openApiGeneratorCommand(rest);
  const { values } = parseCommandLine({
    args: [...rest],
    options: {
      // Where the specs come from and where the clients go; then how to run.
      config: { type: "string" }, spec: { type: "string" }, overlay: { type: "string", multiple: true }, out: { type: "string" }, name: { type: "string" },
      templates: { type: "string" }, check: { type: "boolean", default: false }, watch: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const check = values.check === true;
  const templates = values.templates === undefined ? {} : { templates: values.templates };
  if (check && values.watch === true) throw new UsageError("--check and --watch do not go together");
  let request: GenerateRequest;
  if (values.spec !== undefined || values.out !== undefined || values.name !== undefined) {
    if (values.spec === undefined || values.out === undefined || values.name === undefined) {
      throw new UsageError("--spec, --out and --name go together");
    }
    if (values.config !== undefined) throw new UsageError("--config cannot be combined with --spec");
    const overlays = values.overlay === undefined ? {} : { overlays: values.overlay };
    request = { mode: "single", spec: values.spec, outDir: values.out, name: values.name, check, ...templates, ...overlays };
  } else {
    if (values.overlay !== undefined) throw new UsageError("--overlay goes with --spec (a config lists a provider's overlays)");
    request = { mode: "config", configFile: values.config ?? DEFAULT_CONFIG_FILE, check, ...templates };
  }
  if (values.watch === true) return (await import("./watch-generate.js")).watchGenerate(request);

  const { runGenerate } = await import("../codegen/run.js");
  const report = await runGenerate(request);
  if (check) {
    if (report.stale.length > 0) {
      process.stderr.write(
        `carewire: generated code is stale (run \`carewire generate\`):\n${report.stale.map((f) => `  ${f}`).join("\n")}\n`,
      );
      return 1;
    }
    process.stdout.write(`carewire: generated code is up to date (${report.providers.length} provider(s))\n`);
    return 0;
  }
  for (const p of report.providers) {
    process.stdout.write(`carewire: ${p.name}: ${p.operations} operations → ${p.outDir} (${p.files} files)\n`);
  }
  return 0;
}
