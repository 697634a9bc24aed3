/**
 * `npm run bench:runtime`: carewire's runtime against the clients people use today, side
 * by side in one run, against the carewire simulator (in-process, fresh per run):
 *
 *   carewire         the generated clinic client with its default policies
 *   openapi-fetch    raw openapi-fetch: no retries
 *   p-retry          openapi-fetch wrapped in p-retry: exponential backoff, Retry-After ignored
 *   stainless-like   2 retries, 0.5 s·2ⁿ capped at 8 s, 0–25 % jitter, Retry-After ≤ 60 s
 *                    honoured, retries 408/409/429/5xx and network errors, POST alike
 *
 * Scenarios: goodput under a quota, an outage, chaos writes, and overhead on loopback.
 * Writes bench/results/runtime.json and runtime.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import createFetchClient from "openapi-fetch";
import pRetry from "p-retry";
import { createClinicClient } from "../generated/clinic/index.js";
import { startChildServer } from "./child-server.js";
import type { Counters, FaultPlan, LogEntry, SimulatorOptions } from "../src/testing/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
/** The breaker's half-open interval for carewire: first success after recovery should come within it. */
const BREAKER_OPEN_MS = 500;

type ClientName = "carewire" | "openapi-fetch" | "p-retry" | "stainless-like";
const CLIENTS: ClientName[] = ["carewire", "openapi-fetch", "p-retry", "stainless-like"];

interface Outcome {
  ok: boolean;
  status?: number;
  typed?: string;
}

/** One call as each client makes it. `op` picks the operation. */
type Call = (op: "read" | "create" | "list", n: number) => Promise<Outcome>;

const PATIENT = (n: number) => ({ identifier: `MRN-${String(n).padStart(7, "0")}`, givenName: `G${n}`, familyName: `F${n % 97}`, birthDate: "1980-01-01" });

function makeClient(name: ClientName, baseUrl: string, quota: { limit: number; windowMs: number } | undefined): Call {
  if (name === "carewire") {
    const client = createClinicClient({
      baseUrl,
      timeoutMs: 5_000,
      deadlineMs: 120_000,
      // The client is told the quota the simulator enforces; with none, quota pacing is off
      // (the clinic spec declares 120/min, which would otherwise pace a quota-free sandbox).
      pacing: quota ? { limit: quota.limit, windowMs: quota.windowMs, maxConcurrent: 16 } : { limit: Infinity, maxConcurrent: 16 },
      breaker: { openMs: BREAKER_OPEN_MS, minimumThroughput: 10, windowMs: 2_000 },
    });
    return async (op, n) => {
      const result =
        op === "read"
          ? await client.getPractitioner({ params: { path: { practitionerId: `pr-${n % 50}` } } }, { cache: "no-store" })
          : op === "list"
            ? await client.listPatients({ params: { query: { pageSize: 50 } } })
            : await client.createPatient({ body: PATIENT(n) }, { businessKey: { mrn: PATIENT(n).identifier } });
      return result.error ? { ok: false, typed: result.error.kind, ...(result.response ? { status: result.response.status } : {}) } : { ok: true };
    };
  }
  const raw = createFetchClient<Record<string, never>>({ baseUrl });
  const once = async (op: "read" | "create" | "list", n: number): Promise<{ status: number; retryAfter: string | null }> => {
    const r =
      op === "read"
        ? await raw.request("get", `/practitioners/pr-${n % 50}` as never)
        : op === "list"
          ? await raw.request("get", "/patients?pageSize=50" as never)
          : await raw.request("post", "/patients" as never, { body: PATIENT(n) } as never);
    return { status: r.response.status, retryAfter: r.response.headers.get("retry-after") };
  };
  if (name === "openapi-fetch") {
    return async (op, n) => {
      try {
        const r = await once(op, n);
        return { ok: r.status < 400, status: r.status };
      } catch {
        return { ok: false, typed: "network" };
      }
    };
  }
  if (name === "p-retry") {
    return async (op, n) => {
      try {
        const r = await pRetry(
          async () => {
            const r = await once(op, n);
            if (r.status === 429 || r.status >= 500) throw Object.assign(new Error(`HTTP ${r.status}`), { status: r.status });
            return r;
          },
          { retries: 3, factor: 2, minTimeout: 100, maxTimeout: 2_000, randomize: true },
        );
        return { ok: r.status < 400, status: r.status };
      } catch (error) {
        const status = (error as { status?: number }).status;
        return { ok: false, ...(status !== undefined ? { status } : { typed: "network" }) };
      }
    };
  }
  // stainless-like
  return async (op, n) => {
    for (let retry = 0; ; retry++) {
      let status: number | undefined;
      let retryAfter: string | null = null;
      try {
        const r = await once(op, n);
        status = r.status;
        retryAfter = r.retryAfter;
        if (!(status === 408 || status === 409 || status === 429 || status >= 500)) return { ok: status < 400, status };
      } catch {
        status = undefined;
      }
      if (retry >= 2) return status === undefined ? { ok: false, typed: "network" } : { ok: false, status };
      const ra = retryAfter === null ? NaN : Number(retryAfter) * 1000;
      const delay = Number.isFinite(ra) && ra >= 0 && ra <= 60_000 ? ra : Math.min(0.5 * 2 ** retry, 8) * 1000 * (1 - Math.random() * 0.25);
      await new Promise((r) => setTimeout(r, delay));
    }
  };
}

async function pool<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

interface Row {
  scenario: string;
  client: ClientName;
  offered: number;
  sent: number;
  ok: number;
  failed: number;
  status429: number;
  elapsedMs: number;
  [figure: string]: unknown;
}

/** The simulator, run in a child process; its counters and log come over its admin endpoint. */
interface RemoteSimulator {
  readonly url: string;
  /** Epoch ms the simulator started; its outage windows count from here. */
  readonly startedAt: number;
  counters(): Promise<Counters>;
  log(): Promise<LogEntry[]>;
}

async function withSimulator<T>(options: Omit<SimulatorOptions, "spec" | "clock" | "handlers">, run: (sim: RemoteSimulator) => Promise<T>): Promise<T> {
  const server = await startChildServer<{ url: string; startedAt: number }>("sim-process.ts", options);
  const { url, startedAt } = server.info;
  const get = async <R>(p: string) => (await (await fetch(`${url}/__carewire/${p}`)).json()) as R;
  try {
    return await run({ url, startedAt, counters: () => get<Counters>("counters"), log: () => get<LogEntry[]>("log") });
  } finally {
    server.stop();
  }
}

async function tally(scenario: string, client: ClientName, outcomes: Outcome[], sim: RemoteSimulator, elapsedMs: number): Promise<Row> {
  const counters = await sim.counters();
  const ok = outcomes.filter((o) => o.ok).length;
  return { scenario, client, offered: outcomes.length, sent: counters.requests, ok, failed: outcomes.length - ok, status429: counters.byStatus["429"] ?? 0, elapsedMs: Math.round(elapsedMs) };
}

/** Goodput: N reads, concurrency 16, one client_id under a sliding-window quota. */
async function goodput(client: ClientName): Promise<Row> {
  const calls = Math.round(2_000 * SCALE);
  const quota = { limit: 100, windowMs: 1_000 };
  return withSimulator({ rateLimit: { limit: quota.limit, windowSeconds: quota.windowMs / 1000 } }, async (sim) => {
    const call = makeClient(client, sim.url, quota);
    const started = performance.now();
    const outcomes = await pool(calls, 16, (i) => call("read", i));
    const elapsed = performance.now() - started;
    const row = await tally("goodput", client, outcomes, sim, elapsed);
    // Share of what the quota allowed over the run: a sliding window admits `limit` at once,
    // then `limit` per window, so [0, elapsed] holds at most limit × (1 + elapsed / window).
    const allowed = quota.limit * (1 + elapsed / quota.windowMs);
    return { ...row, quota: `${quota.limit}/${quota.windowMs} ms`, goodputPctOfQuota: Math.round((1000 * row.ok) / allowed) / 10, sentPerOffered: Math.round((100 * row.sent) / row.offered) / 100 };
  });
}

/** Outage: a steady offered load; everything 503 for a window, then recovery. */
async function outage(client: ClientName): Promise<Row> {
  const durationMs = 6_000 * Math.min(1, SCALE);
  const outageFrom = 1_500 * Math.min(1, SCALE);
  const outageMs = 3_000 * Math.min(1, SCALE);
  return withSimulator({ rateLimit: false, faults: { outages: [{ startMs: outageFrom, durationMs: outageMs }] } }, async (sim) => {
    const call = makeClient(client, sim.url, undefined);
    const t0 = performance.now();
    const t0Wall = Date.now();
    const offeredAt: number[] = [];
    const pending: Array<Promise<Outcome>> = [];
    // 100 calls per second, whatever happens to them.
    for (let i = 0; performance.now() - t0 < durationMs; i++) {
      offeredAt.push(performance.now() - t0);
      pending.push(call("read", i));
      await new Promise((r) => setTimeout(r, 10));
    }
    const outcomes = await Promise.all(pending);
    const elapsed = performance.now() - t0;
    const row = await tally("outage", client, outcomes, sim, elapsed);
    const log = await sim.log();
    // The outage window, as the simulator schedules it (from its start).
    const from = sim.startedAt + outageFrom;
    const until = from + outageMs;
    const offeredDuring = offeredAt.filter((ms) => t0Wall + ms >= from && t0Wall + ms < until).length;
    const sentDuring = log.filter((e) => e.fault === "status" && e.status === 503).length;
    const firstSuccessAfter = log.find((e) => Date.parse(e.time) >= until && e.status !== null && e.status < 400);
    return {
      ...row,
      offeredDuringOutage: offeredDuring,
      sentDuringOutage: sentDuring,
      sentPerOfferedDuringOutage: Math.round((100 * sentDuring) / Math.max(1, offeredDuring)) / 100,
      firstSuccessAfterRecoveryMs: firstSuccessAfter ? Date.parse(firstSuccessAfter.time) - until : null,
      ...(client === "carewire" ? { halfOpenIntervalMs: BREAKER_OPEN_MS } : {}),
    };
  });
}

/** Chaos writes: creates under 10 % reset-after-commit, 5 % 503 and a quota. */
async function chaos(client: ClientName): Promise<Row> {
  const calls = Math.round(2_000 * SCALE);
  const quota = { limit: 200, windowMs: 1_000 };
  const faults: FaultPlan = { random: { rate: 0.15, faults: [{ kind: "reset-after-commit", weight: 2 }, { kind: "status", status: 503, weight: 1 }] } };
  return withSimulator({ rateLimit: { limit: quota.limit, windowSeconds: 1 }, faults, seed: 11 }, async (sim) => {
    const call = makeClient(client, sim.url, quota);
    const started = performance.now();
    const outcomes = await pool(calls, 16, (i) => call("create", i));
    const row = await tally("chaos-writes", client, outcomes, sim, performance.now() - started);
    const counters = await sim.counters();
    const silent = outcomes.filter((o) => !o.ok && o.typed === undefined && o.status === undefined).length;
    const failureKinds: Record<string, number> = {};
    for (const o of outcomes) if (!o.ok) failureKinds[o.typed ?? `HTTP ${String(o.status)}`] = (failureKinds[o.typed ?? `HTTP ${String(o.status)}`] ?? 0) + 1;
    return { ...row, duplicates: counters.duplicates, committed: counters.writesCommitted, untypedFailures: silent, okPct: Math.round((1000 * row.ok) / row.offered) / 10, failureKinds: JSON.stringify(failureKinds) };
  });
}

/**
 * Overhead: sequential GETs of a 50-item page on loopback, no faults, no quota. The two
 * clients take turns in 30 short rounds, so a slow moment of this noisy machine hits both;
 * the ratio is the median of the per-round ratios.
 */
async function overheadRows(sim: RemoteSimulator): Promise<Row[]> {
  const calls = Math.round(10_000 * SCALE);
  const rounds = 30;
  const perRound = Math.ceil(calls / rounds);
  const clients = ["openapi-fetch", "carewire"] as const;
  const call = { "openapi-fetch": makeClient("openapi-fetch", sim.url, undefined), carewire: makeClient("carewire", sim.url, undefined) };
  for (const c of clients) for (let i = 0; i < 300; i++) await call[c]("list", i); // warm-up
  const totals = { "openapi-fetch": { ms: 0, ok: 0, offered: 0 }, carewire: { ms: 0, ok: 0, offered: 0 } };
  const ratios: number[] = [];
  const before = (await sim.counters()).requests;
  for (let round = 0; round < rounds; round++) {
    const roundMs: Record<string, number> = {};
    for (const c of round % 2 === 0 ? clients : ([...clients].reverse() as unknown as typeof clients)) {
      const started = performance.now();
      for (let i = 0; i < perRound; i++) if ((await call[c]("list", i)).ok) totals[c].ok++;
      roundMs[c] = performance.now() - started;
      totals[c].ms += roundMs[c];
      totals[c].offered += perRound;
    }
    ratios.push(roundMs.carewire! / roundMs["openapi-fetch"]!);
  }
  const sent = (await sim.counters()).requests - before;
  const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  return clients.map((c) => ({
    scenario: "overhead",
    client: c,
    offered: totals[c].offered,
    sent: sent / 2,
    ok: totals[c].ok,
    failed: totals[c].offered - totals[c].ok,
    status429: 0,
    elapsedMs: Math.round(totals[c].ms),
    ratio: c === "carewire" ? Math.round(1000 * median) / 1000 : 1,
    perCallUs: Math.round((1000 * totals[c].ms) / totals[c].offered),
    ...(c === "carewire" ? { ratioOfTotals: Math.round((1000 * totals.carewire.ms) / totals["openapi-fetch"].ms) / 1000, rounds } : {}),
  }));
}

// BENCH_SCENARIOS=overhead (comma-separated) runs a subset; results files are written only for a full run.
const only = process.env.BENCH_SCENARIOS?.split(",").map((s) => s.trim());
const wanted = (name: string) => only === undefined || only.includes(name);
const rows: Row[] = [];
for (const scenario of [goodput, outage, chaos].filter((s) => wanted(s.name === "chaos" ? "chaos-writes" : s.name))) {
  for (const client of CLIENTS) {
    const row = await scenario(client);
    rows.push(row);
    process.stderr.write(`  ${row.scenario} ${client}: ok ${row.ok}/${row.offered}, sent ${row.sent}, 429s ${row.status429}, ${row.elapsedMs} ms\n`);
  }
}
// Overhead: one simulator with 50 stored patients; clients alternate in rounds so drift in load hits all alike.
if (wanted("overhead")) {
  await withSimulator({ rateLimit: false }, async (sim) => {
    for (let i = 0; i < 50; i++) {
      await fetch(`${sim.url}/patients`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(PATIENT(i)) });
    }
    for (const row of await overheadRows(sim)) {
      rows.push(row);
      process.stderr.write(`  overhead ${row.client}: ${row.elapsedMs} ms for ${row.offered} calls\n`);
    }
  });
}

const report = { benchmark: "runtime: carewire vs openapi-fetch, p-retry, stainless-like against the simulator", node: process.version, cpus: os.cpus().length, date: new Date().toISOString(), scale: SCALE, rows };
if (only === undefined) {
  await mkdir(path.join(here, "results"), { recursive: true });
  await writeFile(path.join(here, "results/runtime.json"), `${JSON.stringify(report, null, 2)}\n`);
}

const md: string[] = [
  "# Runtime benchmark",
  "",
  `node ${process.version}, ${os.cpus().length} CPUs, ${report.date.slice(0, 10)}, scale ${SCALE}. One run, clients side by side against the simulator in its own process (fresh per row). carewire runs from the compiled dist/, as an installed package does.`,
  "",
  "| scenario | client | offered | sent | ok | failed | 429s | elapsed | scenario figures |",
  "|---|---|---:|---:|---:|---:|---:|---:|---|",
  ...rows.map((r) => {
    const base = new Set(["scenario", "client", "offered", "sent", "ok", "failed", "status429", "elapsedMs"]);
    const extra = Object.entries(r)
      .filter(([k]) => !base.has(k))
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(", ");
    return `| ${r.scenario} | ${r.client} | ${r.offered} | ${r.sent} | ${r.ok} | ${r.failed} | ${r.status429} | ${(r.elapsedMs / 1000).toFixed(1)} s | ${extra} |`;
  }),
  "",
];
if (only === undefined) await writeFile(path.join(here, "results/runtime.md"), md.join("\n"));
process.stdout.write(md.join("\n"));
