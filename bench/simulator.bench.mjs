// `npm run bench:simulator`: how fast the simulator starts on a 13 MB spec and how many
// requests per second it sustains on loopback, side by side with a bare node:http
// server answering the same body (the ratio is the cost of routing, validation,
// state and bookkeeping). Writes bench/results/simulator.json and simulator.md.
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const require = createRequire(import.meta.url);
const github = require.resolve("@octokit/openapi/generated/api.github.com.json");
const clinic = path.join(root, "specs/clinic/openapi.yaml");
const duration = Number(process.env.BENCH_SECONDS ?? 5);
const startRuns = Number(process.env.BENCH_RUNS ?? 5);

function startChild(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, "simulator-server.mjs"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ child, ...JSON.parse(line) });
    });
    child.on("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// 1. Start time on the 13 MB spec, in a fresh process each run.
const starts = [];
for (let i = 0; i < startRuns; i++) {
  const s = await startChild(["simulator", github]);
  starts.push({ readyMs: s.readyMs, rssMb: s.rssMb });
  s.child.kill();
}

// 2. Requests per second, simulator vs bare node:http with the same body, alternating.
async function load(url, request) {
  const result = await autocannon({ url: url + request.path, method: request.method, headers: request.headers, body: request.body, connections: 10, duration });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

const scenarios = [
  { name: "clinic GET /practitioners/{id} (sampled body)", spec: clinic, request: { method: "GET", path: "/practitioners/pr-100" } },
  {
    name: "clinic POST /patients (validate + store)",
    spec: clinic,
    request: { method: "POST", path: "/patients", headers: { "content-type": "application/json" }, body: JSON.stringify({ identifier: "MRN-1", givenName: "Ada", familyName: "Lovelace", birthDate: "1990-04-01" }) },
  },
  { name: "GitHub GET /repos/{owner}/{repo} (13 MB spec)", spec: github, request: { method: "GET", path: "/repos/octo/hello" } },
  // Every setting at its default: the token is checked and the spec's 120/min quota holds, so
  // after the first 120 requests of each window the answers are 429s.
  { name: "clinic GET /practitioners/{id}, simulator defaults (demo token; most answers 429)", spec: clinic, defaults: true, request: { method: "GET", path: "/practitioners/pr-100" } },
];

/** A bearer token for the demo client, from the simulator's token endpoint. */
async function demoToken(url) {
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: "carewire-demo", client_secret: "carewire-demo-secret" });
  const answer = await fetch(`${url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
  if (!answer.ok) throw new Error(`token endpoint answered ${answer.status}`);
  return (await answer.json()).access_token;
}

const rows = [];
for (const scenario of scenarios) {
  const sim = await startChild([scenario.defaults ? "defaults" : "simulator", scenario.spec]);
  const request = scenario.defaults ? { ...scenario.request, headers: { ...scenario.request.headers, authorization: `Bearer ${await demoToken(sim.url)}` } } : scenario.request;
  // The baseline answers exactly what the simulator answers (for the defaults row: its 200).
  const sample = await (await fetch(sim.url + request.path, { method: request.method, headers: request.headers, body: request.body })).text();
  const base = await startChild(["baseline", sample]);
  await load(sim.url, request); // warm-up, not measured
  const simulator = await load(sim.url, request);
  const baseline = await load(base.url, request);
  sim.child.kill();
  base.child.kill();
  rows.push({ scenario: scenario.name, settings: scenario.defaults ? "defaults (auth on, the spec's rate limit)" : "{ rateLimit: false, auth: false }", bodyBytes: Buffer.byteLength(sample), simulator, baseline, ratio: simulator.rps / baseline.rps });
  process.stderr.write(`  ${scenario.name}: ${Math.round(simulator.rps)} req/s (baseline ${Math.round(baseline.rps)})\n`);
}

const report = {
  benchmark: "simulator: start time on GitHub's spec, requests/s on loopback vs bare node:http",
  node: process.version,
  cpus: os.cpus().length,
  date: new Date().toISOString(),
  start: { spec: path.relative(root, github), runs: starts, medianReadyMs: median(starts.map((s) => s.readyMs)), medianRssMb: median(starts.map((s) => s.rssMb)) },
  load: { connections: 10, durationSeconds: duration, rows },
};
await mkdir(path.join(here, "results"), { recursive: true });
await writeFile(path.join(here, "results/simulator.json"), `${JSON.stringify(report, null, 2)}\n`);
const f = (n, d = 0) => Number(n).toFixed(d);
const md = [
  "# Simulator benchmark",
  "",
  `node ${process.version}, ${os.cpus().length} CPUs, ${report.date.slice(0, 10)}. Load: autocannon, 10 connections, ${duration} s per run, server in its own process. Simulator settings: \`{ rateLimit: false, auth: false }\` (no quota, no token check: the figures are its request handling), everything else default, for the start and every row but the last, which runs with every setting at its default (a demo token on each request, the clinic spec's 120/min quota, so most answers are 429s); the bare server answers every request with the simulator's 200 body.`,
  "",
  `**Start on GitHub's 13 MB spec** (process start to listening, median of ${startRuns}): ${f(report.start.medianReadyMs)} ms, RSS ${f(report.start.medianRssMb)} MB. Target: < 5 s.`,
  "",
  "| scenario | simulator settings | body | simulator req/s | non-2xx | p50 / p99 ms | bare node:http req/s | simulator / bare |",
  "|---|---|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.scenario} | ${r.settings} | ${r.bodyBytes} B | ${f(r.simulator.rps)} | ${r.simulator.non2xx} | ${r.simulator.p50} / ${r.simulator.p99} | ${f(r.baseline.rps)} | ${f(r.ratio, 2)}× |`),
  "",
];
await writeFile(path.join(here, "results/simulator.md"), md.join("\n"));
process.stdout.write(md.join("\n"));
