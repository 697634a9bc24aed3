/**
 * `--engine` of `carewire generate`: carewire's own generator (the default) or
 * openapi-generator's typescript-fetch with carewire's runtime under it. Parsed apart
 * from the other options, so each engine reads only its own.
 */
import { parseCommandLine, UsageError } from "./usage-error.js";

export type Engine = "carewire" | "openapi-generator";
const ENGINES: readonly Engine[] = ["carewire", "openapi-generator"];

/** The engine asked for, and the arguments without `--engine`. */
export function splitEngine(args: readonly string[]): { readonly engine: Engine; readonly rest: readonly string[] } {
  const rest: string[] = [];
  let engine: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--engine") engine = args[++i] ?? "";
    else if (arg.startsWith("--engine=")) engine = arg.slice("--engine=".length);
    else rest.push(arg);
  }
  if (engine === undefined) return { engine: "carewire", rest };
  if (!(ENGINES as readonly string[]).includes(engine)) throw new UsageError(`--engine must be one of ${ENGINES.join(", ")} (got "${engine.slice(0, 40)}")`);
  return { engine: engine as Engine, rest };
}

/** `carewire generate --engine openapi-generator --spec <file> --out <dir> --name <provider>`. */
export async function openApiGeneratorCommand(args: readonly string[]): Promise<number> {
  const { values } = parseCommandLine({ args: [...args], options: { spec: { type: "string" }, out: { type: "string" }, name: { type: "string" } }, strict: true, allowPositionals: false });
  if (values.spec === undefined || values.out === undefined || values.name === undefined) throw new UsageError("--engine openapi-generator needs --spec, --out and --name");
  const { runOpenApiGenerator } = await import("../codegen/engines/openapi-generator.js");
  return runOpenApiGenerator({ spec: values.spec, outDir: values.out, name: values.name }, { env: process.env, cwd: process.cwd() }, (line) => process.stderr.write(`${line}\n`));
}
