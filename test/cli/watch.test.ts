/**
 * `carewire generate --watch` as a user runs it: one line per run, again on a change to
 * the spec, an overlay or the config, going on after a broken spec, stopping on SIGTERM.
 * Every wait is for a line of output, bounded by the child limit; nothing sleeps.
 */
import { describe, expect, it } from "@jest/globals";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { CHILD_LIMIT_MS, childTestTimeout, cliCommand } from "../helpers/cli.js";
import { tempDirForFile } from "../helpers/temp-dir.js";

const spec = (operations: readonly string[]) => `openapi: 3.0.3
info: { title: Watched, version: 1.0.0 }
paths:
${operations
  .map(
    (id) => `  /${id}:
    get:
      operationId: ${id}
      responses:
        "200": { description: ok }
`,
  )
  .join("")}`;

const overlay = (criticality: string) => `overlay: 1.0.0
info: { title: hints, version: 1.0.0 }
actions:
  - target: $.paths.*.get
    update: { x-carewire-criticality: ${criticality} }
`;

/** Lines of a child's stdout, awaited one at a time; each wait ends by the child limit. */
class LineReader {
  private readonly lines: string[] = [];
  private waiting: (() => void) | undefined;
  private closed = false;
  readonly seen: string[] = [];

  constructor(child: ChildProcess) {
    const rl = createInterface({ input: child.stdout! });
    rl.on("line", (line) => {
      this.lines.push(line);
      this.seen.push(line);
      this.waiting?.();
    });
    rl.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  async next(): Promise<string> {
    const deadline = Date.now() + CHILD_LIMIT_MS;
    while (this.lines.length === 0) {
      if (this.closed) throw new Error(`the watch ended; its output:\n${this.seen.join("\n")}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${CHILD_LIMIT_MS} ms; output so far:\n${this.seen.join("\n")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
    return this.lines.shift()!;
  }
}

/**
 * Replaces a file the way editors save (a new file renamed over it): one change the watch
 * sees whole, never a half-written file however slow the machine.
 */
async function save(file: string, text: string): Promise<void> {
  await writeFile(`${file}.saving`, text);
  await rename(`${file}.saving`, file);
}

const tmp = tempDirForFile("watch");

describe("carewire generate --watch", () => {
  it("regenerates on each change to the spec, an overlay and the config; survives a broken spec; stops on SIGTERM", async () => {
    await mkdir(tmp("specs"));
    const specFile = tmp("specs/watched.yaml");
    const overlayFile = tmp("specs/hints.overlay.yaml");
    const configFile = tmp("carewire.config.json");
    const config = (providers: readonly string[]) => JSON.stringify({ outDir: "gen", providers: providers.map((name) => ({ name, spec: "specs/watched.yaml", overlays: ["specs/hints.overlay.yaml"] })) });
    await writeFile(specFile, spec(["listA"]));
    await writeFile(overlayFile, overlay("batch"));
    await writeFile(configFile, config(["w"]));

    const { file, args } = cliCommand(["generate", "--watch"]);
    const child = spawn(file, args, { cwd: tmp(), env: { ...process.env, NODE_OPTIONS: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const lines = new LineReader(child);
    try {
      expect(await lines.next()).toBe("carewire: [1] generated w (1 operations → gen/w)");
      expect(await readFile(tmp("gen/w/operations.ts"), "utf8")).toContain('"criticality":"batch"');

      await save(specFile, spec(["listA", "listB"]));
      expect(await lines.next()).toBe("carewire: [2] generated w (2 operations → gen/w)");

      await save(specFile, "openapi: 3.0.3\npaths: [\n");
      expect(await lines.next()).toMatch(/^carewire: \[3\] specs\/watched\.yaml:\d+:\d+: cannot parse: .*; waiting for a change$/);
      // The broken run wrote nothing: the last good output is still there.
      expect(await readFile(tmp("gen/w/operations.ts"), "utf8")).toContain('"listB"');

      await save(specFile, spec(["listA", "listB", "listC"]));
      expect(await lines.next()).toBe("carewire: [4] generated w (3 operations → gen/w)");

      await save(overlayFile, overlay("interactive"));
      expect(await lines.next()).toBe("carewire: [5] generated w (3 operations → gen/w)");
      expect(await readFile(tmp("gen/w/operations.ts"), "utf8")).toContain('"criticality":"interactive"');

      await save(configFile, config(["w", "v"]));
      expect(await lines.next()).toBe("carewire: [6] generated w (3 operations → gen/w), v (3 operations → gen/v)");

      child.kill("SIGTERM");
      expect(await lines.next()).toBe("carewire: stopped watching");
      expect(await exited).toBe(0);
      expect(stderr).toBe("");
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }, childTestTimeout(1));
});
