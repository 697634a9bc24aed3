// `npm run bench:codegen`: wall time and peak RSS of `carewire generate` vs raw
// openapi-typescript on the same specs, run alternately in one session (median of N).
// Writes bench/results/codegen.json and codegen.md.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const require = createRequire(import.meta.url);
const runs = Number(process.env.BENCH_RUNS ?? 5);

const specs = [
  { name: "GitHub (@octokit/openapi)", file: require.resolve("@octokit/openapi/generated/api.github.com.json") },
  { name: "CMS Blue Button", file: path.resolve(root, "../shared/specs-public/cms-bluebutton.openapi.yaml") },
  { name: "DrChrono", file: path.resolve(root, "../shared/specs-public/drchrono.openapi.yaml") },
];

function runOne(tool, spec, out) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [path.join(here, "run-one.mjs"), tool, spec, out], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${tool} failed on ${spec} (exit ${code}): ${stderr}`));
      const last = JSON.parse(stderr.trim().split("\n").at(-1));
      resolve({ wallMs, maxRssMb: last.maxRssKb / 1024 });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-bench-"));
const results = [];
try {
  for (const spec of specs) {
    const samples = { carewire: [], raw: [] };
    // Warm the file cache once per tool so the first measured run is not penalised.
    await runOne("raw", spec.file, path.join(tmp, "warm-raw"));
    await runOne("carewire", spec.file, path.join(tmp, "warm-cw"));
    for (let i = 0; i < runs; i++) {
      // Alternate who goes first, so drift in machine load hits both equally.
      const order = i % 2 === 0 ? ["carewire", "raw"] : ["raw", "carewire"];
      for (const tool of order) samples[tool].push(await runOne(tool, spec.file, path.join(tmp, `${tool}-${i}`)));
      process.stderr.write(`  ${spec.name}: run ${i + 1}/${runs}\n`);
    }
    const summary = (tool) => ({
      wallMs: median(samples[tool].map((s) => s.wallMs)),
      maxRssMb: median(samples[tool].map((s) => s.maxRssMb)),
      samples: samples[tool],
    });
    const carewire = summary("carewire");
    const raw = summary("raw");
    results.push({
      spec: spec.name,
      file: path.relative(root, spec.file),
      runs,
      carewire,
      raw,
      timeRatio: carewire.wallMs / raw.wallMs,
      memoryRatio: carewire.maxRssMb / raw.maxRssMb,
    });
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}

const targets = { timeRatio: 1.3, memoryRatio: 1.5 };
const report = {
  benchmark: "codegen: carewire generate vs raw openapi-typescript",
  node: process.version,
  cpus: os.cpus().length,
  date: new Date().toISOString(),
  targets,
  results,
};
await mkdir(path.join(here, "results"), { recursive: true });
await writeFile(path.join(here, "results/codegen.json"), `${JSON.stringify(report, null, 2)}\n`);

const f = (n, d = 0) => n.toFixed(d);
const lines = [
  "# Codegen benchmark",
  "",
  `\`carewire generate\` (registry + zod schemas + typed client + openapi-typescript types) against raw`,
  `openapi-typescript (types only) on the same spec, alternating, median of ${runs} runs each, node ${process.version},`,
  `${os.cpus().length} CPUs, ${report.date.slice(0, 10)}. Wall time includes process start. Targets: time ≤ ${targets.timeRatio}×, peak RSS ≤ ${targets.memoryRatio}×.`,
  "",
  "| spec | carewire time | raw time | time ratio | carewire peak RSS | raw peak RSS | memory ratio |",
  "|---|---:|---:|---:|---:|---:|---:|",
  ...results.map(
    (r) =>
      `| ${r.spec} | ${f(r.carewire.wallMs)} ms | ${f(r.raw.wallMs)} ms | ${f(r.timeRatio, 2)}× ${r.timeRatio <= targets.timeRatio ? "✓" : "✗"} | ${f(r.carewire.maxRssMb)} MB | ${f(r.raw.maxRssMb)} MB | ${f(r.memoryRatio, 2)}× ${r.memoryRatio <= targets.memoryRatio ? "✓" : "✗"} |`,
  ),
  "",
];
await writeFile(path.join(here, "results/codegen.md"), lines.join("\n"));
process.stdout.write(lines.join("\n"));
