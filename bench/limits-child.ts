// One call of the limits benchmark, alone in a fresh process: `node --expose-gc --import tsx bench/limits-child.ts '{"case":…,"url":…}'`.
// Loads the generated clients (carewire from dist/), warms up with a small call of the same
// kind, takes the baseline (process.resourceUsage().maxRSS after a GC), makes the one call
// with DEFAULT limits, and prints one JSON line: peak RSS, how the call ended, how long it took.
import { createClinicClient } from "../generated/clinic/index.js";
import { createFhirR4Client } from "../generated/fhir-r4/index.js";

const { case: name, url } = JSON.parse(process.argv[2] ?? "{}") as { case: string; url: string };
const maxRssMB = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
const gc = (globalThis as { gc?: () => void }).gc;

interface Ended {
  ok: boolean;
  kind?: string;
  detail?: string;
  status?: number;
  attempts?: string;
  items?: number;
}

/** What an error says about itself: kind and the fields the contract names (limit, max, phase). */
function describe(error: unknown): Pick<Ended, "kind" | "detail"> {
  const e = error as { kind?: unknown; limit?: unknown; max?: unknown; phase?: unknown; name?: unknown; message?: unknown; status?: unknown };
  if (typeof e?.kind !== "string") return { kind: `untyped ${String(e?.name ?? typeof error)}`, detail: String(e?.message ?? error).slice(0, 160) };
  const fields = [e.limit !== undefined ? `limit ${String(e.limit)}` : "", e.max !== undefined ? `max ${String(e.max)}` : "", e.phase !== undefined ? `phase ${String(e.phase)}` : "", e.status !== undefined ? `status ${String(e.status)}` : ""].filter(Boolean);
  return { kind: e.kind, detail: fields.length > 0 ? fields.join(", ") : String(e.message ?? "").slice(0, 160) };
}

const attemptsOf = (meta: { attempts: ReadonlyArray<{ status?: number; errorKind?: string }> } | undefined) =>
  meta?.attempts.map((a) => [a.status, a.errorKind].filter((x) => x !== undefined).join(" ")).join(" → ");

async function clinicCall(base: string): Promise<Ended> {
  const client = createClinicClient({ baseUrl: base }); // every option default
  const result = await client.listPatients();
  if (result.error) return { ok: false, ...describe(result.error), status: result.response?.status, attempts: attemptsOf(result.meta) };
  return { ok: true, status: result.response.status, attempts: attemptsOf(result.meta), items: Array.isArray(result.data.data) ? result.data.data.length : undefined };
}

async function bulkCall(base: string): Promise<Ended> {
  const fhir = createFhirR4Client({ baseUrl: base }); // every option default
  const job = await fhir.bulkExport({ types: ["Patient"] });
  if (job.error) return { ok: false, ...describe(job.error), attempts: attemptsOf(job.meta) };
  let items = 0;
  try {
    for await (const resource of job.data.resources("Patient")) if (resource.resourceType === "Patient") items++;
  } catch (error) {
    return { ok: false, ...describe(error), items };
  }
  return { ok: true, items };
}

const bulk = name.startsWith("ndjson");
const run = (c: string) => (bulk ? bulkCall(`${url}/case/${c}`) : clinicCall(`${url}/case/${c}`));

// Warm-up: the same path through the code with a small body, three times.
for (let i = 0; i < 3; i++) {
  const warm = await run(bulk ? "ndjson-small" : "small");
  if (!warm.ok) throw new Error(`warm-up failed: ${JSON.stringify(warm)}`);
}
gc?.();
gc?.();
const baselineMB = maxRssMB();
const rssBeforeMB = process.memoryUsage().rss / 2 ** 20;

const started = performance.now();
let ended: Ended;
try {
  ended = await run(name);
} catch (error) {
  // A call must never reject; this is a defect, recorded as such.
  ended = { ok: false, ...describe(error), kind: `rejected (${describe(error).kind ?? "?"})` };
}
const ms = performance.now() - started;
const peakMB = maxRssMB();
process.stdout.write(`${JSON.stringify({ case: name, baselineMB, rssBeforeMB, peakMB, deltaMB: peakMB - baselineMB, ms, ...ended })}\n`);
process.exit(0);
