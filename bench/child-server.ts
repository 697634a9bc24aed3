/**
 * A benchmark's server in its own process, so its work and memory are not counted against
 * the client under test. The script prints one JSON line (at least `{ url }`) once listening.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ChildServer<Info extends { url: string }> {
  readonly info: Info;
  stop(): void;
}

/** Runs `bench/<script>` with `options` as its argument and waits for its JSON line. */
export async function startChildServer<Info extends { url: string }>(script: string, options: object): Promise<ChildServer<Info>> {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=carewire-source", path.join(here, script), JSON.stringify(options)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const info = await new Promise<Info>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line) as Info);
    });
    child.on("exit", (code) => reject(new Error(`${script} exited (${String(code)})`)));
  });
  return { info, stop: () => void child.kill("SIGTERM") };
}
