/**
 * `npm run bench:bulk`: a Bulk Data export of at least 200 MB of NDJSON, streamed through
 * the generated FHIR client (kick-off, polling, download, line-by-line parse) while this
 * process's RSS is sampled. Target: RSS growth under 64 MB, whatever the export size.
 * Writes bench/results/bulk.json and bulk.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createFhirR4Client } from "../generated/fhir-r4/index.js";
import { startChildServer } from "./child-server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const SYNTHETIC = Number(process.env.BULK_RESOURCES ?? 200_000);

const server = await startChildServer<{ url: string }>("fhir-sim-process.ts", { bulk: { pollsBeforeReady: 2, retryAfterSeconds: 1, synthetic: { Patient: SYNTHETIC }, errors: 1 } });
const { url } = server.info;

try {
  const fhir = createFhirR4Client({ baseUrl: url, pacing: { limit: Infinity } });
  const started = performance.now();
  const job = await fhir.bulkExport({ types: ["Patient"] });
  if (job.error) throw job.error;
  // The baseline is the client with the manifest in hand: what the streaming adds is measured.
  // (Kick-off and polling load the client's code and the FHIR definitions once, whatever the size.)
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  for await (const resource of job.data.resources("Patient")) {
    // What an application does with each resource: look at it, keep nothing.
    if (resource.resourceType !== "Patient") throw new Error(`unexpected ${resource.resourceType}`);
  }
  const { bytes, resources } = job.data.progress;
  const errors = await job.data.errors();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const result = {
    benchmark: "bulk: Bulk Data export streamed through the generated FHIR client",
    node: process.version,
    cpus: os.cpus().length,
    date: new Date().toISOString(),
    resources,
    exportMB: Math.round(bytes / 1e5) / 10,
    rssBaselineMB: Math.round(baseline / 1e5) / 10,
    rssPeakMB: Math.round(peak / 1e5) / 10,
    rssGrowthMB: Math.round((peak - baseline) / 1e5) / 10,
    seconds: Math.round(seconds * 10) / 10,
    mbPerSecond: Math.round(bytes / 1e5 / seconds) / 10,
    polls: job.data.polls,
    errorOutcomes: errors.length,
    targets: { exportMB: ">= 200", rssGrowthMB: "< 64" },
  };
  await mkdir(path.join(here, "results"), { recursive: true });
  await writeFile(path.join(here, "results/bulk.json"), `${JSON.stringify(result, null, 2)}\n`);
  const md = [
    "# Bulk export benchmark",
    "",
    `node ${process.version}, ${os.cpus().length} CPUs, ${result.date.slice(0, 10)}. The FHIR simulator (own process) serves ${resources.toLocaleString("en")} synthetic Patients as NDJSON; the generated client (settings: \`{ pacing: { limit: Infinity } }\`, everything else default) kicks off, polls and streams them line by line. RSS before = with the manifest in hand; peak = while streaming.`,
    "",
    "| export | resources | time | throughput | RSS before | RSS peak | RSS growth (target < 64 MB) |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    `| ${result.exportMB} MB | ${resources.toLocaleString("en")} | ${result.seconds} s | ${result.mbPerSecond} MB/s | ${result.rssBaselineMB} MB | ${result.rssPeakMB} MB | ${result.rssGrowthMB} MB |`,
    "",
  ].join("\n");
  await writeFile(path.join(here, "results/bulk.md"), md);
  process.stdout.write(md);
} finally {
  server.stop();
}
