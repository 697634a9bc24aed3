/**
 * overhead-instructions: the overhead-bare call counted in instructions, not timed. Each
 * client runs in a process of its own under valgrind's callgrind: warmed up, its counters
 * zeroed, then a fixed number of calls to the bare server. An instruction count does not move
 * with the machine's load (two runs of one client differ by about 2 %, where wall-time rounds
 * differ by 2×), so it says what a wall-time ratio on a loud machine cannot: how much more
 * work carewire's call is. It counts every thread of the process (V8's compiler and GC
 * threads too), and not the server's work, which is the same for every client.
 *
 * Skipped, with one line saying so, where valgrind is not installed.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Calls before counting: under callgrind V8 reaches its optimized code only after some thousands. */
export const INSTRUCTION_WARMUP = 4_000;
export const INSTRUCTION_CALLS = 1_000;

export interface InstructionCount {
  readonly client: string;
  readonly instructionsPerCall: number;
}

/** Whether valgrind can be run here. */
export function hasValgrind(): boolean {
  return spawnSync("valgrind", ["--version"], { stdio: "ignore" }).status === 0;
}

/** Each client's instructions per call against the bare server at `url`, the clients run as many at a time as there are CPUs. */
export async function countInstructions(url: string, clients: readonly string[]): Promise<InstructionCount[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "carewire-callgrind-"));
  try {
    const results: InstructionCount[] = [];
    const queue = [...clients];
    const lanes = Array.from({ length: Math.max(1, Math.min(os.cpus().length, clients.length)) }, async () => {
      for (let client = queue.shift(); client !== undefined; client = queue.shift()) results.push({ client, instructionsPerCall: await countOne(url, client, dir) });
    });
    await Promise.all(lanes);
    return clients.map((c) => results.find((r) => r.client === c)!);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function countOne(url: string, client: string, dir: string): Promise<number> {
  const out = path.join(dir, `${client}.callgrind`);
  const options = JSON.stringify({ mode: "instructions", client, url, warmup: INSTRUCTION_WARMUP, calls: INSTRUCTION_CALLS });
  const child = spawn("valgrind", ["--tool=callgrind", "--smc-check=all-non-file", `--callgrind-out-file=${out}`, process.execPath, path.join(here, "overhead-child.mjs"), options], { stdio: ["pipe", "pipe", "ignore"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const message = JSON.parse(line) as { ready?: boolean; pid?: number; done?: boolean };
    if (message.ready) {
      // Everything before this point (start-up, warm-up) is left out of the count.
      const zeroed = spawnSync("callgrind_control", ["-z", String(message.pid)], { stdio: "ignore" });
      if (zeroed.status !== 0) throw new Error(`callgrind_control could not zero ${client}'s counters`);
      child.stdin.write("go\n");
    }
    if (message.done) break;
  }
  if ((await exited) !== 0) throw new Error(`${client} under callgrind exited with an error`);
  const text = await readFile(out, "utf8");
  const total = /^(?:summary|totals):\s+(\d+)/m.exec(text);
  if (total === null) throw new Error(`no instruction total in ${client}'s callgrind output`);
  return Number(total[1]) / INSTRUCTION_CALLS;
}
