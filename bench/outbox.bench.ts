/**
 * `npm run bench:outbox`: writes that survive a crash, measured. For each row, 5,000
 * createPatient intents (each with a business key) are enqueued into a fresh outbox, then
 * drained by worker processes (bench/outbox-worker.mjs, plain node on dist/) into the clinic
 * simulator in its own process, at a quota of 250 requests/s, while 15 % of the writes are
 * faulted (reset before the handler, reset after the write committed, 503 with Retry-After,
 * 502, a truncated 201). A worker is killed with SIGKILL at random moments (seeded per row: the same moments and
 * victims in every run) and restarted at once.
 *
 * Afterwards every intent is checked against what the simulator holds (read back through
 * its list endpoint with faults off):
 *   committed / dead  how the intents ended (dead ones must carry a typed reason)
 *   lost              intents not settled, or committed but absent on the server
 *   duplicates        patients stored twice for one business key (and the simulator's own count)
 *   enqueuePerSec     enqueues per second from 64 concurrent callers (group commit), fsync on
 *   enqueueSeqPerSec  the same from one caller awaiting each enqueue (every one its own commit)
 *   drainRatio        drain time ÷ the time the same 5,000 writes take as direct calls
 *                     (same client settings and concurrency, same quota and faults, fresh simulator)
 *
 * Writes bench/results/outbox.json and outbox.md (only for a full run of every row).
 * OUTBOX_INTENTS, OUTBOX_ROWS (comma-separated row names) and OUTBOX_KILLS change a run (for
 * diagnosis: results are then not written). OUTBOX_TIMELINE=1 prints commits per second;
 * WORKER_PROF=<dir> writes each worker process's V8 CPU profile there (not for a killed one).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { seededRandom } from "../src/testing/simulator/random.js";
import { startPostgres, type PostgresServer } from "../test/helpers/postgres-server.js";
import { startRedis, type RedisServer } from "../test/helpers/redis-server.js";
import { startChildServer, type ChildServer } from "./child-server.js";
import { compileGenerated } from "./compile-generated.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const INTENTS = Number(process.env.OUTBOX_INTENTS ?? 5_000);
const QUOTA = { limit: 250, windowMs: 1_000 };
const KILLS = Number(process.env.OUTBOX_KILLS ?? 6);
const WORKER_CONCURRENCY = 8;
const ENQUEUE_CALLERS = 64;
const SEQUENTIAL_ENQUEUES = 500;
const SEED = 4_242;
const FAULT_RATE = 0.15;
/** Tuned rows: a short lease (renewed every second) so a killed worker's intents come back soon. */
const TUNED_WORKER = { concurrency: WORKER_CONCURRENCY, leaseMs: 3_000, deliveryDeadlineMs: 10_000, pollMs: 50 };
const DEFAULT_WORKER = { concurrency: WORKER_CONCURRENCY };

interface RowPlan {
  readonly name: string;
  readonly backend: "sqlite" | "postgres";
  readonly workers: number;
  readonly worker: Record<string, number>;
  readonly settings: string;
}

const PLANS: RowPlan[] = [
  { name: "sqlite", backend: "sqlite", workers: 1, worker: TUNED_WORKER, settings: "worker {concurrency:8, leaseMs:3000, deliveryDeadlineMs:10000, pollMs:50}; store sqliteOutboxStore({path}) (defaults: WAL, synchronous=FULL)" },
  { name: "sqlite-defaults", backend: "sqlite", workers: 1, worker: DEFAULT_WORKER, settings: "worker {concurrency:8} (defaults: leaseMs 30000, deliveryDeadlineMs 30000, pollMs 1000)" },
  { name: "postgres", backend: "postgres", workers: 3, worker: TUNED_WORKER, settings: "3 worker processes, each {concurrency:8, leaseMs:3000, deliveryDeadlineMs:10000, pollMs:50}; postgresOutboxStore({connectionString}); pacing shared on redisStore({expectedInstances:3})" },
  { name: "postgres-defaults", backend: "postgres", workers: 3, worker: DEFAULT_WORKER, settings: "3 worker processes, each {concurrency:8} (default lease, deadline, poll); pacing shared on redisStore({expectedInstances:3})" },
];
const wanted = process.env.OUTBOX_ROWS?.split(",");
const plans = wanted ? PLANS.filter((p) => wanted.includes(p.name)) : PLANS;
const fullRun = INTENTS >= 5_000 && wanted === undefined && KILLS >= 5;

interface Counters {
  requests: number;
  faults: number;
  duplicates: number;
  idempotentReplays: number;
  byStatus: Record<string, number>;
}

const mrn = (n: number) => `MRN-${100_000 + n}`;
const patient = (n: number) => ({ identifier: mrn(n), givenName: "Ada", familyName: "Lovelace", birthDate: "1990-04-01" });
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const tally = (labels: readonly string[]) => labels.reduce<Record<string, number>>((acc, label) => ({ ...acc, [label]: (acc[label] ?? 0) + 1 }), {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startSimulator(): Promise<ChildServer<{ url: string }>> {
  const { writeChaos } = await import("../src/testing/index.js");
  return startChildServer("sim-process.ts", { rateLimit: { limit: QUOTA.limit, windowSeconds: QUOTA.windowMs / 1000 }, seed: SEED, faults: writeChaos(FAULT_RATE, ["createPatient"]) });
}

async function serverView(url: string): Promise<{ counters: Counters; stored: Map<string, number> }> {
  await fetch(`${url}/__carewire/faults`, { method: "DELETE" }); // reading back must not be faulted
  const counters = (await (await fetch(`${url}/__carewire/counters`)).json()) as Counters;
  const stored = new Map<string, number>();
  for (let page = 1; ; page++) {
    const response = await fetch(`${url}/patients?pageSize=100&page=${page}`);
    if (response.status === 429) {
      await sleep(1_000);
      page--;
      continue;
    }
    const body = (await response.json()) as { data: Array<{ identifier: string }>; nextPage: number | null };
    for (const p of body.data) stored.set(p.identifier, (stored.get(p.identifier) ?? 0) + 1);
    if (body.nextPage === null) return { counters, stored };
  }
}

type Carewire = typeof import("../src/index.js");
type CarewireOutbox = typeof import("../src/outbox/index.js");
/** The bench process only records intents: its table names the operation, the workers deliver it. */
const RECORD_ONLY = { createPatient: async (_input: { body: ReturnType<typeof patient> }) => ({}) };
type Writer = import("../src/outbox/index.js").Outbox<typeof RECORD_ONLY>;

/** Enqueue throughput: `callers` concurrent callers, each awaiting its own enqueues, until `count` are recorded. */
async function enqueueAll(outbox: Writer, count: number, callers: number, from = 0): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let n = next++; n < count; n = next++) await outbox.enqueue("createPatient", { body: patient(from + n) }, { businessKey: { mrn: mrn(from + n) } });
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

function spawnWorker(settings: object): { child: ChildProcess; ready: Promise<void> } {
  const profile = process.env.WORKER_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.WORKER_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, path.join(here, "outbox-worker.mjs"), JSON.stringify(settings)], { stdio: ["ignore", "pipe", "inherit"] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    child.on("exit", (code, signal) => reject(new Error(`worker exited before ready (${String(code ?? signal)})`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

async function directRun(carewire: Carewire, clinic: typeof import("../generated/clinic/index.js"), concurrency: number, shared: RedisServer | undefined): Promise<{ ms: number; ok: number }> {
  const sim = await startSimulator();
  try {
    const store = shared ? carewire.redisStore({ url: shared.url, prefix: `direct-${Date.now()}:` }) : undefined;
    const client = clinic.createClinicClient({ baseUrl: sim.info.url, pacing: { limit: QUOTA.limit, windowMs: QUOTA.windowMs }, ...(store ? { store } : {}) });
    let next = 0;
    let ok = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let n = next++; n < INTENTS; n = next++) {
          const result = await client.createPatient({ body: patient(n) }, { businessKey: { mrn: mrn(n) } });
          if (!result.error) ok++;
        }
      }),
    );
    const ms = performance.now() - started;
    await store?.close();
    return { ms, ok };
  } finally {
    sim.stop();
  }
}

async function main(): Promise<void> {
  const compiled = await compileGenerated("clinic");
  const carewire = (await import("carewire")) as Carewire;
  const outboxModule = (await import("carewire/outbox")) as CarewireOutbox;
  const clinic = (await import(path.join(compiled, "index.js"))) as typeof import("../generated/clinic/index.js");
  const tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-outbox-bench-"));
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const rows: Array<Record<string, unknown>> = [];
  try {
    for (const plan of plans) {
      process.stderr.write(`outbox bench: ${plan.name}\n`);
      if (plan.backend === "postgres") postgres ??= await startPostgres({ durable: true }); // fsync on, as in production
      if (plan.workers > 1) redis ??= await startRedis();
      const storeUrl = plan.backend === "sqlite" ? `sqlite:${path.join(tmp, `${plan.name}.db`)}` : await postgres!.createDatabase(`outbox_${plan.name.replace(/-/g, "_")}`);
      const scratchUrl = plan.backend === "sqlite" ? `sqlite:${path.join(tmp, `${plan.name}-seq.db`)}` : await postgres!.createDatabase(`outbox_${plan.name.replace(/-/g, "_")}_seq`);

      // Enqueue: the app's request handlers recording writes.
      const writer = outboxModule.createOutbox({ store: await outboxModule.openOutboxStore(storeUrl), provider: "clinic", operations: RECORD_ONLY });
      const enqueuePerSec = await enqueueAll(writer, INTENTS, ENQUEUE_CALLERS);
      const scratch = outboxModule.createOutbox({ store: await outboxModule.openOutboxStore(scratchUrl), provider: "clinic", operations: RECORD_ONLY });
      const enqueueSeqPerSec = await enqueueAll(scratch, SEQUENTIAL_ENQUEUES, 1);
      await scratch.close();

      // Drain, with kills.
      const sim = await startSimulator();
      const prefix = `outbox-${plan.name}-${Date.now()}:`;
      const settingsOf = (i: number) => ({ id: `w${i}`, simUrl: sim.info.url, storeUrl, limit: QUOTA.limit, windowMs: QUOTA.windowMs, workers: plan.workers, worker: plan.worker, ...(plan.workers > 1 ? { redisUrl: redis!.url, prefix } : {}) });
      const workers = Array.from({ length: plan.workers }, (_, i) => spawnWorker(settingsOf(i)));
      await Promise.all(workers.map((w) => w.ready));
      const started = performance.now();
      const expectedMs = (INTENTS / QUOTA.limit) * QUOTA.windowMs;
      // Kill moments and victims come from a PRNG seeded per row: random, and the same in every run,
      // so two runs differ by the machine only (and a slow run can be replayed).
      const random = seededRandom(SEED + PLANS.indexOf(plan));
      const killAt = Array.from({ length: KILLS }, () => expectedMs * (0.1 + random() * 0.7)).sort((a, b) => a - b);
      let kills = 0;
      for (;;) {
        const counts = await writer.status();
        if (counts.pending === 0) break;
        const elapsed = performance.now() - started;
        if (elapsed > expectedMs * 20 + 300_000) throw new Error(`${plan.name}: not drained after ${Math.round(elapsed / 1000)} s: ${JSON.stringify(counts)}`);
        while (kills < killAt.length && elapsed >= killAt[kills]!) {
          const victim = Math.floor(random() * workers.length);
          workers[victim]!.child.kill("SIGKILL");
          kills++;
          // Restarted in the same slot, under the same id, as a supervisor restarts a pod or a unit.
          workers[victim] = spawnWorker(settingsOf(victim));
        }
        await sleep(50);
      }
      const drainMs = performance.now() - started;
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.child.exitCode !== null) return resolve();
              w.child.once("exit", () => resolve());
              w.child.kill("SIGTERM");
            }),
        ),
      );
      const { counters, stored } = await serverView(sim.info.url);
      sim.stop();

      const committedIntents = await writer.list({ status: "committed", limit: 10_000 });
      if (process.env.OUTBOX_TIMELINE) {
        // Diagnosis: commits per second of the drain, and when each kill came.
        const startedAt = Date.now() - drainMs;
        const perSecond = new Array<number>(Math.ceil(drainMs / 1000) + 1).fill(0);
        for (const i of committedIntents) if (i.committedAt !== undefined) perSecond[Math.max(0, Math.floor((i.committedAt - startedAt) / 1000))]! += 1;
        process.stderr.write(`timeline ${JSON.stringify(perSecond)} kills at ${JSON.stringify(killAt.map((k) => Math.round(k)))}\n`);
      }
      const deadIntents = await writer.list({ status: "dead", limit: 10_000, withBodies: true });
      const counts = await writer.status();
      const committedMissing = (await writer.list({ status: "committed", limit: 10_000, withBodies: true })).filter((i) => !stored.has((i.input as { body: { identifier: string } }).body.identifier)).length;
      const untypedDead = deadIntents.filter((i) => !i.dead || !i.dead.reason || !i.dead.errorKind).length;
      const storedTwice = [...stored.values()].filter((n) => n > 1).length;
      await writer.close();

      const direct = await directRun(carewire, clinic, WORKER_CONCURRENCY * plan.workers, plan.workers > 1 ? redis : undefined);
      rows.push({
        row: plan.name,
        backend: plan.backend,
        workers: plan.workers,
        intents: INTENTS,
        kills,
        committed: committedIntents.length,
        dead: deadIntents.length,
        deadReasons: tally(deadIntents.map((i) => `${i.dead?.reason ?? "?"}:${i.dead?.errorKind ?? "?"}`)),
        untypedDead,
        lost: counts.pending + committedMissing,
        duplicates: storedTwice + counters.duplicates,
        enqueuePerSec: Math.round(enqueuePerSec),
        enqueueSeqPerSec: Math.round(enqueueSeqPerSec),
        drainMs: Math.round(drainMs),
        directMs: Math.round(direct.ms),
        directOk: direct.ok,
        drainRatio: round(drainMs / direct.ms),
        serverRequests: counters.requests,
        faults: counters.faults,
        idempotentReplays: counters.idempotentReplays,
        status429: counters.byStatus["429"] ?? 0,
        settings: plan.settings,
      });
      process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
    }
  } finally {
    await postgres?.stop();
    await redis?.stop();
    await rm(tmp, { recursive: true, force: true });
  }
  if (!fullRun) {
    process.stderr.write("partial run (OUTBOX_INTENTS < 5000 or OUTBOX_ROWS set): results not written\n");
    return;
  }
  await writeResults(rows);
}

async function writeResults(rows: Array<Record<string, unknown>>): Promise<void> {
  const report = {
    benchmark: "outbox",
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, load1: round(os.loadavg()[0]!), node: process.version },
    setup: { intents: INTENTS, quota: QUOTA, faultRate: FAULT_RATE, faults: "reset-before, reset-after-commit, 503 + Retry-After 1, 502, truncated 201 (equal weights)", killsPerRow: KILLS, enqueueCallers: ENQUEUE_CALLERS, sequentialEnqueues: SEQUENTIAL_ENQUEUES },
    targets: { lost: 0, duplicates: 0, killsAtLeast: 5, enqueuePerSecSqlite: 5_000, drainRatioAtMost: 1.2 },
    rows,
  };
  await mkdir(path.join(here, "results"), { recursive: true });
  await writeFile(path.join(here, "results", "outbox.json"), `${JSON.stringify(report, null, 2)}\n`);
  const cols = ["row", "backend", "workers", "intents", "kills", "committed", "dead", "lost", "duplicates", "enqueuePerSec", "enqueueSeqPerSec", "drainMs", "directMs", "drainRatio", "status429", "idempotentReplays"];
  const md = [
    "# Outbox benchmark",
    "",
    `${report.date} · ${report.machine.cpus} CPUs · load ${report.machine.load1} · Node ${report.machine.node}`,
    "",
    `${INTENTS} createPatient intents per row, simulator quota ${QUOTA.limit}/${QUOTA.windowMs} ms, ${FAULT_RATE * 100} % of writes faulted (${report.setup.faults}); a worker SIGKILLed ${KILLS} times at random moments (seeded per row, the same in every run) and restarted at once, in its slot under the same worker id (as a supervisor restarts a pod). PostgreSQL runs with fsync on; the PostgreSQL rows share pacing through a real redis-server. Targets: lost 0, duplicates 0, kills ≥ 5, enqueuePerSec ≥ 5,000 on SQLite (fsync on), drainRatio ≤ 1.2.`,
    "",
    `| ${cols.join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${cols.map((c) => String(r[c])).join(" | ")} |`),
    "",
    "Settings per row:",
    "",
    ...rows.map((r) => `- **${String(r.row)}**: ${String(r.settings)}; dead by reason: ${JSON.stringify(r.deadReasons)}`),
    "",
    "enqueuePerSec: 64 concurrent callers each awaiting its own enqueue (concurrent enqueues share one commit); enqueueSeqPerSec: one caller, one commit (one fsync on SQLite) per enqueue. drainRatio: drain time ÷ the same writes as direct calls (same client, concurrency 8 per worker, fresh simulator with the same faults).",
    "",
  ].join("\n");
  await writeFile(path.join(here, "results", "outbox.md"), md);
}

await main();
