/**
 * `carewire report` as a user's shell runs it: the page written and what it found, exit
 * codes, a missing events file, bad thresholds, and uPlot missing (one line, exit 2).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { childTestTimeout, cliCommand, ROOT, runNode } from "../helpers/cli.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "carewire-report-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const carewire = (args: readonly string[], env: Record<string, string> = {}, node: readonly string[] = []) => {
  const { args: cli } = cliCommand(args);
  return runNode([...node, ...cli], { env });
};

/** Attempts every 100 ms for 10 s; every `throttledEvery`-th answered 429 (0: none). */
function events(throttledEvery: number): string {
  return Array.from({ length: 100 }, (_, i) =>
    JSON.stringify({ type: "attempt", attempt: 1, status: throttledEvery > 0 && i % throttledEvery === 0 ? 429 : 200, durationMs: 10 + (i % 7), delayMs: 0, provider: "clinic", operationId: "getPatient", requestId: `r-${i}`, time: 1_700_000_000_000 + i * 100 }),
  ).join("\n");
}

describe("carewire report", () => {
  it("writes the page, counts malformed lines, and exits 0 with nothing firing, 1 with an alert firing", async () => {
    const quiet = path.join(dir, "quiet.jsonl");
    await writeFile(quiet, `${events(0)}\nnot json\n`);
    const out = path.join(dir, "quiet.html");
    const ok = await carewire(["report", quiet, "--out", out, "--title", "Quiet night"]);
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: "" });
    expect(ok.stdout).toContain(`carewire: report → ${out} (100 events, 1 malformed line(s))`);
    expect(ok.stdout).toContain("alerts: none fired");
    const html = await readFile(out, "utf8");
    expect(html).toContain("<title>Quiet night</title>");
    // Self-contained: uPlot inlined, nothing fetched.
    expect(html).toContain("uPlot");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);

    const noisy = path.join(dir, "noisy.jsonl");
    await writeFile(noisy, events(4));
    const firing = await carewire(["report", noisy, "--out", path.join(dir, "noisy.html")]);
    expect(firing.code).toBe(1);
    expect(firing.stdout).toContain("alerts: sustained-429 (firing)");
    // A threshold raised over the rate: nothing fires.
    const raised = await carewire(["report", noisy, "--out", path.join(dir, "raised.html"), "--alert", "throttleRate=0.5"]);
    expect(raised.code).toBe(0);
  }, childTestTimeout(3));

  it("names a missing events file and a bad threshold (exit 2), writing nothing", async () => {
    const out = path.join(dir, "never.html");
    const missing = await carewire(["report", path.join(dir, "nope.jsonl"), "--out", out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`carewire: report: cannot read the events file ${path.join(dir, "nope.jsonl")}: no such file\n`);
    const thresholds = path.join(dir, "thresholds.json");
    await writeFile(thresholds, JSON.stringify({ throttleRate: -1 }));
    const bad = await carewire(["report", path.join(dir, "nope.jsonl"), "--thresholds", thresholds, "--out", out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("alert threshold throttleRate must be a number above 0");
    expect(existsSync(out)).toBe(false);
  }, childTestTimeout(2));

  it("says in one line that uplot is missing, with the install line (exit 2)", async () => {
    const events = path.join(dir, "any.jsonl");
    await writeFile(events, "");
    const result = await carewire(["report", events, "--out", path.join(dir, "none.html")], { CAREWIRE_HIDE_PACKAGES: "uplot" }, ["--require", path.join(ROOT, "test/helpers/hide-packages.cjs")]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 2, stderr: "carewire: carewire report needs uplot: npm i -D uplot\n" });
  }, childTestTimeout(1));

  it("refuses anything but one events file, with the command's usage", async () => {
    const result = await carewire(["report"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("carewire: report needs exactly one events file (JSON lines from recordEvents) (see `carewire report --help`)\n");
    const help = await carewire(["report", "--help"]);
    expect(help.stdout).toContain("carewire report <events.jsonl> [--out report.html]");
  }, childTestTimeout(2));
});
