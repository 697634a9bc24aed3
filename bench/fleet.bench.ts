/**
 * Fleet benchmark: several processes of one app on one client_id against the simulator's
 * quota, side by side in one run. Each row starts a fresh simulator (in its own process)
 * and FLEET_INSTANCES worker processes (bench/fleet-worker.ts) that begin together and
 * call for FLEET_SECONDS (FLEET_CONCURRENCY callers each, default 8); a real redis-server
 * (fresh port) holds the shared state.
 *
 * Figures: offered (calls started), sent (requests the simulator saw), ok, status429,
 * goodputPct (calls answered ok inside the run's FLEET_SECONDS ÷ the most the quota can
 * answer in that time, limit × seconds ÷ window: see `runAllowance`), turnoverPct (how
 * fast the server's window turns over: see serverView), sentPerOffered,
 * waitP50Ms/waitP99Ms (call start → its first request on the wire), acquireP50Us (one
 * acquire of the shared quota; blank where the library gives no way to time it).
 *
 * Rows of scenario "fleet":
 *   carewire-memory         each instance paces alone (the default store), told the quota
 *   carewire-redis          redisStore, told the quota
 *   carewire-redis-headers  redisStore, no quota given (the spec's declared one removed); the simulator sends IETF RateLimit headers
 *   carewire-redis-429-only redisStore, no quota, no headers: only Retry-After on a 429
 *   bottleneck-redis        Bottleneck 2 Redis clustering (ioredis), reservoir = limit refreshed every window
 *   bottleneck-redis-mintime  the same with minTime = window ÷ limit instead
 *   rate-limiter-flexible-redis  RateLimiterRedis (points = limit, duration = window), waits msBeforeNext on a refusal
 * The anchors wrap raw openapi-fetch and retry a 429 after its Retry-After (3 times at most).
 * Scenario "redis-outage": carewire-redis with Redis stopped for 3 s mid-run and restarted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startRedis, type RedisServer } from "../test/helpers/redis-server.js";
import { startChildServer } from "./child-server.js";
import { compileGenerated } from "./compile-generated.js";
import type { FleetClient, WorkerReport, WorkerSettings } from "./fleet-worker.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const INSTANCES = Number(process.env.FLEET_INSTANCES ?? 5);
const SECONDS = Number(process.env.FLEET_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.FLEET_CONCURRENCY ?? 8);
const QUOTA = { limit: 100, windowMs: 1_000 };
const OUTAGE = { fromMs: 8_000, durationMs: 3_000 };

interface Counters {
  requests: number;
  byStatus: Record<string, number>;
}

interface Row {
  scenario: string;
  client: FleetClient;
  settings: string;
  offered: number;
  sent: number;
  ok: number;
  status429: number;
  goodputPct: number;
  sentPerOffered: number;
  waitP50Ms: number;
  waitP99Ms: number;
  acquireP50Us: number | null;
  [figure: string]: unknown;
}

const SETTINGS: Record<FleetClient, string> = {
  "carewire-memory": "pacing:{limit:100,windowMs:1000} (each instance alone: the default memory store)",
  "carewire-redis": "pacing:{limit:100,windowMs:1000}, store:redisStore({url,prefix,expectedInstances:5})",
  "carewire-redis-headers": "store:redisStore({url,prefix,expectedInstances:5}); no quota (spec's declared quota removed); simulator sends IETF RateLimit headers",
  "carewire-redis-429-only": "store:redisStore({url,prefix,expectedInstances:5}); no quota (spec's declared quota removed); no rate-limit headers",
  "bottleneck-redis": "Bottleneck({datastore:'ioredis',reservoir:100,reservoirRefreshAmount:100,reservoirRefreshInterval:1000}) around openapi-fetch",
  "bottleneck-redis-mintime": "Bottleneck({datastore:'ioredis',minTime:10}) around openapi-fetch",
  "rate-limiter-flexible-redis": "RateLimiterRedis({points:100,duration:1}), sleep msBeforeNext on refusal, around openapi-fetch",
};

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const round1 = (n: number) => Math.round(n * 10) / 10;

/** Starts the worker processes, waits for each to be ready, starts them together, gathers their reports. */
async function runFleet(
  base: Omit<WorkerSettings, "instance">,
  duringRun?: () => Promise<void>,
  instances = INSTANCES,
  perInstance: (instance: number) => Partial<WorkerSettings> = () => ({}),
): Promise<{ reports: WorkerReport[]; elapsedMs: number; startAt: number }> {
  const children: ChildProcess[] = [];
  const reports: Array<Promise<WorkerReport>> = [];
  const readies: Array<Promise<void>> = [];
  for (let instance = 0; instance < instances; instance++) {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fleet-worker.ts"), JSON.stringify({ ...base, ...perInstance(instance), instance })], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(child);
    let out = "";
    let readied: () => void;
    readies.push(new Promise<void>((r) => (readied = r)));
    reports.push(
      new Promise<WorkerReport>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("ready\n")) readied();
          // Only a whole line (a large report comes in several chunks).
          const line = out.split("\n").slice(0, -1).find((l) => l.startsWith("{"));
          if (line) resolve(JSON.parse(line) as WorkerReport);
        });
        child.on("exit", (code) => reject(new Error(`fleet worker ${instance} exited (${String(code)}) without a report`)));
      }),
    );
  }
  await Promise.all(readies);
  // One start time on the machine's clock for every instance (the run is [startAt, startAt + duration)).
  // Far enough ahead that every instance has read `go` by then, on 2 CPUs shared by all.
  const leadMs = 300;
  const startAt = Date.now() + leadMs;
  const started = performance.now() + leadMs;
  for (const child of children) child.stdin!.write(`go ${startAt}\n`);
  const during = duringRun?.();
  const done = await Promise.all(reports);
  await during;
  return { reports: done, elapsedMs: performance.now() - started, startAt };
}

/**
 * The most a sliding-log quota can answer in the run. The server counts a request when it
 * arrives and forgets it one window later, so each window-long slice [start + k·W,
 * start + (k+1)·W) holds at most `limit`: a run of a whole number of windows allows exactly
 * `limit` per window, and a client that fills every slice reaches it. (Counting over the run's
 * elapsed time instead, `limit × (1 + elapsed ÷ window)`, credits a window for the first burst
 * and another for the tail after the callers stop, which no client can use.)
 */
function runAllowance(): number {
  if ((SECONDS * 1000) % QUOTA.windowMs !== 0) throw new Error(`FLEET_SECONDS must be a whole number of quota windows (${QUOTA.windowMs} ms)`);
  return (QUOTA.limit * SECONDS * 1000) / QUOTA.windowMs;
}

/** The simulator's request log: when each request came and what it got. */
type SimLog = Array<{ time: string; status: number | null }>;

/**
 * The server's view of a row: the requests it answered inside the run over what the quota
 * allows in it (see `runAllowance`), and how fast the window turns over: W over the mean
 * time from an answered request to the `limit`-th after it (100 % when every slot is reused
 * the moment the server frees it; the start-up ramp and the run's end do not count here).
 */
function serverView(log: SimLog, startAt: number): { spanMs: number; serverGoodputPct: number; turnoverPct: number } {
  const times = log
    .filter((e) => e.status !== null && e.status < 300)
    .map((e) => Date.parse(e.time))
    .sort((a, b) => a - b);
  if (times.length === 0) return { spanMs: 0, serverGoodputPct: 0, turnoverPct: 0 };
  const inRun = times.filter((t) => t >= startAt && t < startAt + SECONDS * 1000).length;
  const spanMs = times[times.length - 1]! - times[0]!;
  let turns = 0;
  for (let k = 0; k + QUOTA.limit < times.length; k++) turns += times[k + QUOTA.limit]! - times[k]!;
  const pairs = Math.max(0, times.length - QUOTA.limit);
  return {
    spanMs,
    serverGoodputPct: round1((100 * inRun) / runAllowance()),
    turnoverPct: pairs > 0 ? round1((100 * QUOTA.windowMs) / (turns / pairs)) : 0,
  };
}

async function row(scenario: string, client: FleetClient, redis: RedisServer, prefix: string, duringRun?: () => Promise<void>, fromLog?: (log: SimLog) => Record<string, unknown>): Promise<Row> {
  const headers = client === "carewire-redis-headers" ? "ietf" : "none";
  const quota = client === "carewire-redis-headers" || client === "carewire-redis-429-only" ? undefined : QUOTA;
  const sim = await startChildServer<{ url: string }>("sim-process.ts", { rateLimit: { limit: QUOTA.limit, windowSeconds: QUOTA.windowMs / 1000 }, rateLimitHeaders: headers });
  try {
    const { reports, elapsedMs, startAt } = await runFleet(
      { client, simUrl: sim.info.url, redisUrl: redis.url, prefix, durationMs: SECONDS * 1000, concurrency: CONCURRENCY, expectedInstances: INSTANCES, ...(quota ? { quota } : {}) },
      duringRun,
    );
    const counters = (await (await fetch(`${sim.info.url}/__carewire/counters`)).json()) as Counters;
    const log = (await (await fetch(`${sim.info.url}/__carewire/log`)).json()) as SimLog;
    const logFigures = { ...serverView(log, startAt), ...(fromLog ? fromLog(log) : {}) };
    if (process.env.FLEET_TIMELINE) {
      // Diagnosis: answered requests per 100 ms from the first one the server saw.
      const times = log.filter((e) => e.status !== null && e.status < 300).map((e) => Date.parse(e.time)).sort((a, b) => a - b);
      const tenths = new Array<number>(Math.ceil((times.at(-1)! - times[0]!) / 100) + 1).fill(0);
      for (const t of times) tenths[Math.floor((t - times[0]!) / 100)]! += 1;
      process.stderr.write(`timeline ${client}: ${JSON.stringify(tenths)}\n`);
    }
    const sum = (f: (r: WorkerReport) => number) => reports.reduce((n, r) => n + f(r), 0);
    const offered = sum((r) => r.offered);
    const ok = sum((r) => r.ok);
    const failures: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
    const acquire = reports.flatMap((r) => r.acquireUs);
    const waits = reports.flatMap((r) => r.waitsMs);
    const status429 = counters.byStatus["429"] ?? 0;
    return {
      scenario,
      client,
      settings: SETTINGS[client],
      offered,
      sent: counters.requests,
      ok,
      status429,
      goodputPct: round1((100 * sum((r) => r.okInRun)) / runAllowance()),
      sentPerOffered: Math.round((100 * counters.requests) / Math.max(1, offered)) / 100,
      waitP50Ms: round1(percentile(waits, 50)),
      waitP99Ms: round1(percentile(waits, 99)),
      acquireP50Us: acquire.length > 0 ? Math.round(percentile(acquire, 50)) : null,
      acquiresPerCall: acquire.length > 0 ? Math.round((100 * acquire.length) / Math.max(1, offered)) / 100 : null,
      status429PctOfSent: round1((100 * status429) / Math.max(1, counters.requests)),
      failed: sum((r) => r.failed),
      hung: sum((r) => r.hung),
      failures: JSON.stringify(failures),
      elapsedMs: Math.round(elapsedMs),
      ...logFigures,
    };
  } finally {
    sim.stop();
  }
}

/**
 * Fairness: four tenants on one client_id, one process each, through Redis, the quota told.
 * The noisy tenant offers 150 calls/s of batch work (1.5× the whole quota); two quiet
 * tenants offer 10/s each; the fourth offers 10/s of critical calls. A fair share is a
 * quarter of the quota (25/s): a quiet tenant should get what it offers (all of it is
 * under its share), and a critical call should wait no more than one window.
 */
async function fairness(redis: RedisServer): Promise<Row[]> {
  const tenants = [
    { tenant: "noisy", offeredPerSecond: 150, priority: "batch" as const },
    { tenant: "quiet-1", offeredPerSecond: 10, priority: "interactive" as const },
    { tenant: "quiet-2", offeredPerSecond: 10, priority: "interactive" as const },
    { tenant: "critical", offeredPerSecond: 10, priority: "critical" as const },
  ];
  const sim = await startChildServer<{ url: string }>("sim-process.ts", { rateLimit: { limit: QUOTA.limit, windowSeconds: QUOTA.windowMs / 1000 } });
  try {
    const { reports, elapsedMs } = await runFleet(
      { client: "carewire-redis", simUrl: sim.info.url, redisUrl: redis.url, prefix: "bench-fair:", durationMs: SECONDS * 1000, concurrency: 1, expectedInstances: tenants.length, quota: QUOTA },
      undefined,
      tenants.length,
      (i) => tenants[i]!,
    );
    const counters = (await (await fetch(`${sim.info.url}/__carewire/counters`)).json()) as Counters;
    const fairPerSecond = QUOTA.limit / tenants.length / (QUOTA.windowMs / 1000);
    return reports.map((r, i) => {
      const t = tenants[i]!;
      // Calls answered inside the run, as the fleet rows count them (the noisy tenant's backlog drains after it).
      const okPerSecond = r.okInRun / SECONDS;
      const entitled = Math.min(t.offeredPerSecond, fairPerSecond);
      return {
        scenario: "fairness",
        client: "carewire-redis" as const,
        settings: `tenant:${t.tenant}, priority ${t.priority}, ${t.offeredPerSecond} calls/s offered (open loop); ${SETTINGS["carewire-redis"]}`,
        offered: r.offered,
        sent: counters.requests,
        ok: r.ok,
        status429: counters.byStatus["429"] ?? 0,
        goodputPct: round1((100 * okPerSecond) / (QUOTA.limit / (QUOTA.windowMs / 1000))),
        sentPerOffered: NaN,
        waitP50Ms: round1(percentile(r.waitsMs, 50)),
        waitP99Ms: round1(percentile(r.waitsMs, 99)),
        acquireP50Us: r.acquireUs.length > 0 ? Math.round(percentile(r.acquireUs, 50)) : null,
        tenant: t.tenant,
        fairSharePct: round1((100 * okPerSecond) / entitled),
        failures: JSON.stringify(r.failures),
        hung: r.hung,
        elapsedMs: Math.round(elapsedMs),
      };
    });
  } finally {
    sim.stop();
  }
}

const only = process.env.BENCH_CLIENTS?.split(",").map((s) => s.trim());
const FLEET_CLIENTS: FleetClient[] = ["carewire-memory", "carewire-redis", "carewire-redis-headers", "carewire-redis-429-only", "bottleneck-redis", "bottleneck-redis-mintime", "rate-limiter-flexible-redis"];
await compileGenerated("clinic");
const redis = await startRedis();
const rows: Row[] = [];
try {
  for (const [i, client] of FLEET_CLIENTS.entries()) {
    if (only && !only.includes(client)) continue;
    const r = await row("fleet", client, redis, `bench-${i}:`);
    rows.push(r);
    process.stderr.write(`  fleet ${client}: goodput ${r.goodputPct} % (server view ${String(r.serverGoodputPct)} %, turnover ${String(r.turnoverPct)} %, span ${String(r.spanMs)} ms, elapsed ${String(r.elapsedMs)} ms), 429s ${r.status429}/${r.sent}, sent/offered ${r.sentPerOffered}, wait p50 ${r.waitP50Ms} ms, acquire p50 ${String(r.acquireP50Us)} µs, acquires/call ${String(r.acquiresPerCall)}\n`);
  }
  if (!only || only.includes("fairness")) {
    for (const r of await fairness(redis)) {
      rows.push(r);
      process.stderr.write(`  fairness ${String(r.tenant)}: ok ${r.ok}/${r.offered}, ${String(r.fairSharePct)} % of its fair share, wait p50 ${r.waitP50Ms} / p99 ${r.waitP99Ms} ms\n`);
    }
  }
  if (!only || only.includes("redis-outage")) {
    // Redis stopped hard mid-run for 3 s, then started again (empty, as after a crash).
    let stoppedAt = 0;
    let restartedAt = 0;
    const outage = async () => {
      await new Promise((r) => setTimeout(r, OUTAGE.fromMs));
      stoppedAt = Date.now();
      await redis.stop({ hard: true });
      await new Promise((r) => setTimeout(r, OUTAGE.durationMs));
      await redis.start();
      restartedAt = Date.now();
    };
    // The gap: from the stop to one window after the restart (the instances find Redis again and it refills).
    const gap = (log: SimLog) => {
      const inGap = log.filter((e) => Date.parse(e.time) >= stoppedAt && Date.parse(e.time) < restartedAt + QUOTA.windowMs);
      const refused = inGap.filter((e) => e.status === 429).length;
      return { sentInGap: inGap.length, status429InGap: refused, status429PctOfSentInGap: round1((100 * refused) / Math.max(1, inGap.length)) };
    };
    const r = await row("redis-outage", "carewire-redis", redis, "bench-outage:", outage, gap);
    rows.push({ ...r, outage: `Redis killed at ${OUTAGE.fromMs / 1000} s for ${OUTAGE.durationMs / 1000} s, restarted empty` });
    process.stderr.write(`  redis-outage carewire-redis: ok ${r.ok}/${r.offered}, 429s ${r.status429}/${r.sent}, in the gap ${String(r.status429InGap)}/${String(r.sentInGap)}, hung ${String(r.hung)}\n`);
  }
} finally {
  await redis.stop();
}

const report = {
  benchmark: `fleet: ${INSTANCES} processes of one app on one client_id against the simulator at ${QUOTA.limit}/${QUOTA.windowMs / 1000} s, ${SECONDS} s per row, ${CONCURRENCY} callers per process in a closed loop`,
  node: process.version,
  cpus: os.cpus().length,
  loadAverage: os.loadavg().map(round1),
  date: new Date().toISOString(),
  rows,
};
if (only === undefined) {
  await mkdir(path.join(here, "results"), { recursive: true });
  await writeFile(path.join(here, "results", "fleet.json"), `${JSON.stringify(report, null, 2)}\n`);
  const columns = ["scenario", "client", "settings", "offered", "sent", "ok", "status429", "goodputPct", "turnoverPct", "sentPerOffered", "waitP50Ms", "waitP99Ms", "acquireP50Us", "acquiresPerCall", "fairSharePct", "failures", "hung", "status429InGap", "sentInGap"] as const;
  const md = [
    "# Fleet benchmark",
    "",
    `${report.benchmark}. node ${report.node}, ${report.cpus} CPUs (load average ${report.loadAverage.join(", ")} at the end), ${report.date.slice(0, 10)}. One run, rows side by side; every row starts a fresh simulator in its own process; all instances of a row begin together, at one moment on the machine's clock. goodputPct: calls answered ok inside the run's ${SECONDS} s over the ${runAllowance()} the quota's sliding log can answer in them; turnoverPct: the window over the mean time from an answered request to the ${QUOTA.limit}th after it (the long-run rate). Targets: carewire-redis and carewire-redis-headers goodput ≥ 97 %, 429s ≤ 0.5 % of sent, sent/offered ≤ 1.01, acquire p50 ≤ 300 µs; carewire-redis-429-only goodput ≥ 90 %, 429s ≤ 3 % of sent; redis-outage: no call lost or hung, 429s ≤ 5 % of sent during the gap.`,
    "",
    `| ${columns.join(" | ")} |`,
    `|${columns.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${columns.map((c) => String(r[c] ?? "")).join(" | ")} |`),
    "",
  ].join("\n");
  await writeFile(path.join(here, "results", "fleet.md"), md);
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
