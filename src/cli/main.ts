/**
 * `carewire <command>`. Exit codes: 0 ok; 1 the command found something (stale files for
 * `generate --check`, dead letters for `outbox status`, differences for `reconcile`);
 * 2 bad input (spec, config, arguments); 3 a failure (a store or server, or internal).
 */
import { parseArgs } from "node:util";
import type { GenerateRequest } from "../codegen/run.js";
import { SpecError } from "../codegen/spec-error.js";
import { asMissingPackage, checkOptionalPackages, MissingPackagesError } from "./optional-packages.js";
import { OUTBOX_USAGE, outboxCommand } from "./outbox-command.js";
import { RECONCILE_USAGE, reconcileCommand } from "./reconcile-command.js";
import { CONTRACT_USAGE, MOCK_USAGE, contractCommand, mockCommand } from "./testing-commands.js";
import { UsageError } from "./usage-error.js";

/**
 * The config file `carewire generate` reads by default: the codegen's CONFIG_FILE, spelled
 * out here because importing it loads the whole generator (seconds), and usage errors and
 * the other commands should not wait for that. A test keeps the two equal.
 */
export const DEFAULT_CONFIG_FILE = "carewire.config.json";

const USAGE = `usage:
  carewire generate [--config ${DEFAULT_CONFIG_FILE}] [--templates <dir>] [--check]
      generate every provider listed in the config file (default: ./${DEFAULT_CONFIG_FILE})
  carewire generate --spec <file> --out <dir> --name <provider> [--templates <dir>] [--check]
      generate one spec into one directory
  --check   compare instead of writing; exit 1 and list the stale files if any differ
${MOCK_USAGE}
${CONTRACT_USAGE}
${OUTBOX_USAGE}
${RECONCILE_USAGE}`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    checkOptionalPackages(command);
    switch (command) {
      case "generate":
        return await generateCommand(rest);
      case "mock":
        return await mockCommand(rest);
      case "contract":
        return await contractCommand(rest);
      case "outbox":
        return await outboxCommand(rest);
      case "reconcile":
        return await reconcileCommand(rest);
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
    if (error instanceof SpecError) {
      process.stderr.write(`carewire: ${error.message}\n`);
      return 2;
    }
    const missing = error instanceof MissingPackagesError ? error : asMissingPackage(command, error);
    if (missing !== undefined) {
      process.stderr.write(`carewire: ${missing.message}\n`);
      return 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`carewire: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`carewire: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 3;
  }
}

async function generateCommand(args: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        config: { type: "string" },
        spec: { type: "string" },
        out: { type: "string" },
        name: { type: "string" },
        templates: { type: "string" },
        check: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const check = values.check === true;
  const templates = values.templates === undefined ? {} : { templates: values.templates };
  let request: GenerateRequest;
  if (values.spec !== undefined || values.out !== undefined || values.name !== undefined) {
    if (values.spec === undefined || values.out === undefined || values.name === undefined) {
      throw new UsageError("--spec, --out and --name go together");
    }
    if (values.config !== undefined) throw new UsageError("--config cannot be combined with --spec");
    request = { mode: "single", spec: values.spec, outDir: values.out, name: values.name, check, ...templates };
  } else {
    request = { mode: "config", configFile: values.config ?? DEFAULT_CONFIG_FILE, check, ...templates };
  }

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
