/** Runs the carewire CLI from source in a child process, as a user's shell would. */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * How long one CLI child may run before it is killed and the test fails saying so. A child
 * starts Node, tsx and the sources it imports: about a second on an idle machine, many times
 * that on a loaded one. This only turns a hang into a failure; no test measures the time.
 */
export const CLI_LIMIT_MS = 180_000;

/** A jest timeout for a test that runs `children` CLI children one after another (and a little more). */
export function cliTestTimeout(children: number): number {
  return children * CLI_LIMIT_MS + 30_000;
}

/** The command line that runs the CLI from source: node, the tsx loader (by absolute URL, so any cwd works), scripts/carewire.ts. */
export function cliCommand(args: readonly string[]): { readonly file: string; readonly args: string[] } {
  return {
    file: process.execPath,
    args: ["--import", pathToFileURL(path.join(ROOT, "node_modules/tsx/dist/loader.mjs")).href, "--conditions=carewire-source", path.join(ROOT, "scripts/carewire.ts"), ...args],
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The CLI's exit code and output. Rejects (naming the command and its stderr) if the child
 * ended on a signal or outlived `limitMs`: a killed child has no exit code to compare.
 */
export function runCli(args: readonly string[], options: { cwd?: string; limitMs?: number } = {}): Promise<CliResult> {
  const command = cliCommand(args);
  const limitMs = options.limitMs ?? CLI_LIMIT_MS;
  return new Promise((resolve, reject) => {
    execFile(
      command.file,
      command.args,
      { cwd: options.cwd ?? ROOT, env: { ...process.env, NODE_OPTIONS: "" }, maxBuffer: 64 * 1024 * 1024, timeout: limitMs, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        if (typeof error.code === "number") return resolve({ code: error.code, stdout, stderr });
        const why = error.killed ? `was killed after ${limitMs} ms` : error.signal ? `ended on ${error.signal}` : `could not run (${error.message})`;
        reject(new Error(`carewire ${args.join(" ")} ${why}; stderr:\n${stderr.slice(-2_000)}`));
      },
    );
  });
}
