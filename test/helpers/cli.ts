/** Runs the carewire CLI from source in a child process, as a user's shell would. */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * How long one child process (the CLI, tsc, the demo) may run before it is killed and the
 * test fails saying so. A CLI child starts Node, tsx and the sources it imports: about a
 * second on an idle machine, many times that on a loaded one. This only turns a hang into a
 * failure; no test measures the time.
 */
export const CHILD_LIMIT_MS = 180_000;

/** A jest timeout for a test that runs `children` child processes one after another (and a little more). */
export function childTestTimeout(children: number): number {
  return children * CHILD_LIMIT_MS + 30_000;
}

/** The command line that runs the CLI from source: node, the tsx loader (by absolute URL, so any cwd works), scripts/carewire.ts. */
export function cliCommand(args: readonly string[]): { readonly file: string; readonly args: string[] } {
  return { file: process.execPath, args: tsxArgs(path.join(ROOT, "scripts/carewire.ts"), args) };
}

/** Node arguments that run a TypeScript entry point of this repository from source. */
export function tsxArgs(entry: string, args: readonly string[] = []): string[] {
  return ["--import", pathToFileURL(path.join(ROOT, "node_modules/tsx/dist/loader.mjs")).href, "--conditions=carewire-source", entry, ...args];
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChildOptions {
  readonly cwd?: string;
  /** Added to this process's environment (NODE_OPTIONS is always cleared). */
  readonly env?: Readonly<Record<string, string>>;
  readonly limitMs?: number;
}

/**
 * Runs `node <args>` and resolves with its exit code and output. Rejects (naming the command
 * and its stderr) if the child ended on a signal or outlived `limitMs`: a killed child has no
 * exit code to compare.
 */
export function runNode(args: readonly string[], options: ChildOptions = {}): Promise<CliResult> {
  const limitMs = options.limitMs ?? CHILD_LIMIT_MS;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: options.cwd ?? ROOT, env: { ...process.env, NODE_OPTIONS: "", ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: limitMs, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        if (typeof error.code === "number") return resolve({ code: error.code, stdout, stderr });
        const why = error.killed ? `was killed after ${limitMs} ms` : error.signal ? `ended on ${error.signal}` : `could not run (${error.message})`;
        reject(new Error(`node ${args.join(" ")} ${why}; stderr:\n${stderr.slice(-2_000)}`));
      },
    );
  });
}

/** The carewire CLI from source: exit code and output (see runNode for a child that never exits). */
export function runCli(args: readonly string[], options: ChildOptions = {}): Promise<CliResult> {
  return runNode(cliCommand(args).args, options);
}
