/**
 * `npm run bench:limits`: peak RSS of ONE call with carewire's DEFAULT limits against hostile
 * response bodies, each call in a fresh process (bench/limits-child.ts: baseline = maxRSS after
 * imports, a warm-up call of the same kind and a GC; peak = maxRSS after the call), the server
 * in another process (bench/limits-server.ts). Target: peak RSS ≤ 256 MB for every call, each
 * hostile call ending in a typed error, the legitimate 20 MB body succeeding.
 *
 * The parent also samples the child's VmHWM from /proc every 50 ms, so a child that crashes
 * (out of memory) or is killed at the time limit still gets a peak figure.
 * Writes bench/results/limits.json and limits.md. LIMITS_CASES=json200,legit20 runs a subset
 * (results files are written only for a full run).
 */
import { spawn } from "node:child_process";
import { readFile, mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startChildServer } from "./child-server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const TARGET_MB = 256;
/** A case still running after this is killed and counted as a miss. */
const CASE_LIMIT_MS = 240_000;

interface Case {
  readonly name: string;
  readonly body: string;
  readonly call: string;
  /** What the contract says the call should end with. */
  readonly expected: string;
  readonly legit?: boolean;
}

type BodiesInfo = { url: string; bombBytes: number; ndjsonBombBytes: number; bombInflatedBytes: number; page200Bytes: number; page20Bytes: number; page20Patients: number; pageNearCapBytes: number; pageNearCapPatients: number };
const mbOf = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 10e6 ? 2 : 1)} MB`;
const casesFor = (info: BodiesInfo): Case[] => [
  { name: "json200", body: `${mbOf(info.page200Bytes)} JSON (PatientPage), honest Content-Length`, call: "clinic listPatients()", expected: "limit-exceeded (response-bytes)" },
  { name: "gzip-bomb", body: `${mbOf(info.bombBytes)} gzip (Content-Length of the gzip) inflating to ${mbOf(info.bombInflatedBytes)} of JSON`, call: "clinic listPatients()", expected: "limit-exceeded (response-bytes)" },
  { name: "drip200", body: `${mbOf(info.page200Bytes)} JSON, no Content-Length (chunked), 4 KB writes as fast as the socket takes them`, call: "clinic listPatients()", expected: "limit-exceeded (response-bytes)" },
  { name: "html200", body: "200 MB text/html, no Content-Length (chunked), 1 MB writes", call: "clinic listPatients()", expected: "limit-exceeded (response-bytes)" },
  { name: "ndjson100", body: "Bulk NDJSON file: 1 line, one 100 MB line, 1 line (chunked, 64 KB writes)", call: "FHIR bulkExport() + resources()", expected: "limit-exceeded (line-bytes)" },
  { name: "ndjson-bomb", body: `Bulk NDJSON file, Content-Encoding gzip: ${mbOf(info.ndjsonBombBytes)} inflating to 1 line, one 1 000 MiB line, 1 line (beyond the brief: streamed files are exempt from maxResponseBytes)`, call: "FHIR bulkExport() + resources()", expected: "limit-exceeded (line-bytes)" },
  { name: "legit20", body: `${mbOf(info.page20Bytes)} JSON (PatientPage, ${info.page20Patients.toLocaleString("en")} patients), honest Content-Length`, call: "clinic listPatients()", expected: "ok", legit: true },
  { name: "legit-near-cap", body: `${mbOf(info.pageNearCapBytes)} JSON (PatientPage, ${info.pageNearCapPatients.toLocaleString("en")} patients), just under the default cap of 32 MiB = 33.55 MB, honest Content-Length`, call: "clinic listPatients()", expected: "ok", legit: true },
];

interface Measured {
  case: string;
  baselineMB?: number;
  rssBeforeMB?: number;
  peakMB?: number;
  deltaMB?: number;
  ms?: number;
  ok?: boolean;
  kind?: string;
  detail?: string;
  status?: number;
  attempts?: string;
  items?: number;
  /** Set when the child did not report: crashed, killed at the limit. */
  crashed?: string;
  /** Highest VmHWM the parent saw in /proc (MB). */
  hwmSampledMB?: number;
}

async function vmHwmMB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

async function runCase(name: string, url: string): Promise<Measured> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", path.join(here, "limits-child.ts"), JSON.stringify({ case: name, url })], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4_000)));
  let hwm = 0;
  const sampler = setInterval(() => {
    if (child.pid !== undefined) void vmHwmMB(child.pid).then((mb) => (hwm = Math.max(hwm, mb ?? 0)));
  }, 50);
  let killed = false;
  const killer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, CASE_LIMIT_MS);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  clearInterval(sampler);
  clearTimeout(killer);
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (line && exit.code === 0) return { ...(JSON.parse(line) as Measured), hwmSampledMB: hwm };
  const why = killed
    ? `killed after ${CASE_LIMIT_MS / 1000} s`
    : `exited ${exit.code ?? exit.signal}: ${err.split("\n").filter((l) => /Error|heap|memory|Abort/i.test(l)).slice(0, 2).join(" / ").slice(0, 200)}`;
  return { case: name, ok: false, crashed: why, peakMB: hwm, hwmSampledMB: hwm };
}

const only = process.env.LIMITS_CASES?.split(",").map((s) => s.trim());
const server = await startChildServer<BodiesInfo>("limits-server.ts", {});
const rows: Array<Case & Measured & { meets: boolean }> = [];
try {
  for (const c of casesFor(server.info).filter((x) => only === undefined || only.includes(x.name))) {
    const m = await runCase(c.name, server.info.url);
    const typed = m.crashed === undefined && m.kind !== undefined && !m.kind.startsWith("untyped") && !m.kind.startsWith("rejected") && m.kind !== "unexpected";
    const meets = (m.peakMB ?? Infinity) <= TARGET_MB && (c.legit ? m.ok === true : m.ok === false && typed);
    rows.push({ ...c, ...m, meets });
    process.stderr.write(`  ${c.name}: ${m.crashed ?? (m.ok ? "ok" : `${m.kind} (${m.detail ?? ""})`)}, peak ${m.peakMB?.toFixed(0)} MB, ${((m.ms ?? 0) / 1000).toFixed(1)} s\n`);
  }
} finally {
  server.stop();
}

const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 10) / 10);
const report = {
  benchmark: "limits: peak RSS of one call with default limits against hostile bodies",
  node: process.version,
  cpus: os.cpus().length,
  date: new Date().toISOString(),
  settings: {
    client: "createClinicClient({ baseUrl }) / createFhirR4Client({ baseUrl }): every other option default (documented defaults: maxResponseBytes 32 MiB, NDJSON line cap 64 MiB, timeoutMs 30 s, 4 attempts)",
    process: "one fresh `node --expose-gc --import tsx` child per case, carewire from dist/; warm-up = 3 calls of the same kind with a small body, then gc() twice; baseline = process.resourceUsage().maxRSS then",
    server: "bench/limits-server.ts in its own process",
    targetPeakMB: TARGET_MB,
    caseLimitMs: CASE_LIMIT_MS,
    bodies: server.info,
  },
  rows: rows.map((r) => ({ ...r, baselineMB: round(r.baselineMB), rssBeforeMB: round(r.rssBeforeMB), peakMB: round(r.peakMB), deltaMB: round(r.deltaMB), hwmSampledMB: round(r.hwmSampledMB), ms: r.ms === undefined ? undefined : Math.round(r.ms) })),
  pass: rows.every((r) => r.meets),
};

const md = [
  "# Limits benchmark",
  "",
  `node ${process.version}, ${os.cpus().length} CPUs, ${report.date.slice(0, 10)}. One call per fresh process with DEFAULT limits (no option set but baseUrl), carewire from dist/, the server in its own process. Baseline = maxRSS after imports, a 3-call warm-up of the same kind and gc(); peak = maxRSS after the call (a crashed or killed child: the highest VmHWM sampled from /proc). Target: peak ≤ ${TARGET_MB} MB, a typed error for each hostile body, success for the legitimate one.`,
  "",
  "| case | body | call | expected | ended with | baseline | peak | growth | time | meets target |",
  "|---|---|---|---|---|---:|---:|---:|---:|:--:|",
  ...rows.map((r) => {
    const ended = r.crashed ?? (r.ok ? `ok${r.items !== undefined ? ` (${r.items} items)` : ""}` : `${r.kind ?? "?"}${r.detail ? ` (${r.detail})` : ""}`);
    const mb = (n: number | undefined) => (n === undefined ? "–" : `${n.toFixed(0)} MB`);
    return `| ${r.name} | ${r.body} | ${r.call} | ${r.expected} | ${ended}${r.attempts && r.attempts.includes("→") ? `; attempts ${r.attempts}` : ""} | ${mb(r.baselineMB)} | ${mb(r.peakMB)} | ${mb(r.deltaMB)} | ${r.ms === undefined ? "–" : `${(r.ms / 1000).toFixed(1)} s`} | ${r.meets ? "yes" : "**no**"} |`;
  }),
  "",
  report.pass ? "**Result: every call within the target.**" : `**Result: ${rows.filter((r) => !r.meets).length} of ${rows.length} calls miss the target** (${rows.filter((r) => !r.meets).map((r) => r.name).join(", ")}).`,
  "",
];
if (only === undefined) {
  await mkdir(path.join(here, "results"), { recursive: true });
  await writeFile(path.join(here, "results/limits.json"), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(here, "results/limits.md"), md.join("\n"));
}
process.stdout.write(md.join("\n"));
