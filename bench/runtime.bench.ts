/**
 * `npm run bench:runtime`: carewire's runtime against the clients people use today, side
 * by side in one run, against the carewire simulator (in its own process, fresh per row):
 *
 *   carewire         the generated clinic client with its default policies
 *   openapi-fetch    raw openapi-fetch: no retries
 *   p-retry          openapi-fetch wrapped in p-retry: exponential backoff, Retry-After ignored
 *   stainless-like   2 retries, 0.5 s·2ⁿ capped at 8 s, 0–25 % jitter, Retry-After ≤ 60 s
 *                    honoured, retries 408/409/429/5xx and network errors, POST alike
 *
 * Scenarios: goodput under a quota, an outage (with the tuned breaker, and again with
 * carewire's default one), chaos writes, and overhead on loopback against the simulator.
 * Then, against a bare node:http server instead of the simulator (bench/bare-server.mjs), the
 * per-call overhead (`overhead-bare`, wall time), the same calls on a stubbed fetch
 * (`overhead-stub`, process CPU time, with a CPU profile of carewire's loop), and cold start
 * (`cold-start`: process start → first result, and import times). Those run in child
 * processes on compiled JavaScript (bench/overhead-child.mjs, bench/cold-start-*.mjs), with
 * carewire's default policies and only `pacing: { limit: Infinity }`.
 * Every row states the settings it changes from each client's defaults.
 * Writes bench/results/runtime.json and runtime.md.
 */
import { spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import createFetchClient from "openapi-fetch";
import pRetry from "p-retry";
import { createClinicClient } from "../generated/clinic/index.js";
import { startChildServer } from "./child-server.js";
import { compileGenerated } from "./compile-generated.js";
import { summarizeProfile, type ProfileSummary } from "./overhead-profile.js";
import type { ClientOptions } from "../src/index.js";
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

/**
 * carewire's settings in a row, every one of them a change from its default (so the list
 * is what the row's "settings" states). `tuned` is the setup of the goodput, outage,
 * chaos-writes and overhead rows: a 5 s attempt timeout and a breaker that opens for 500 ms over a 2 s window. Otherwise only
 * the quota: the client is told the one the simulator enforces, and with none quota pacing
 * is off (`limit: Infinity`), because the clinic spec declares 120/min, which would
 * otherwise pace a quota-free sandbox.
 */
function carewireSettings(quota: { limit: number; windowMs: number } | undefined, tuned: boolean): Omit<ClientOptions, "baseUrl"> {
  return {
    ...(tuned ? { timeoutMs: 5_000 } : {}),
    pacing: quota ? { limit: quota.limit, windowMs: quota.windowMs } : { limit: Infinity },
    ...(tuned ? { breaker: { openMs: BREAKER_OPEN_MS, windowMs: 2_000 } } : {}),
  };
}

/** A row's non-default settings, as written in the results. */
function describeSettings(client: ClientName, quota: { limit: number; windowMs: number } | undefined, tuned = true): string {
  if (client === "carewire") return JSON.stringify(carewireSettings(quota, tuned)).replace(/null/g, "Infinity").replace(/"/g, "");
  if (client === "openapi-fetch") return "none (createClient({ baseUrl }))";
  if (client === "p-retry") return "{retries:3,factor:2,minTimeout:100,maxTimeout:2000,randomize:true} around openapi-fetch";
  return "own loop around openapi-fetch (see header)";
}

function makeClient(name: ClientName, baseUrl: string, quota: { limit: number; windowMs: number } | undefined, tuned = true): Call {
  if (name === "carewire") {
    const client = createClinicClient({ baseUrl, ...carewireSettings(quota, tuned) });
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
  client: ClientName | "openapi-fetch-timeout";
  /** Every setting the row changes from the client's defaults. */
  settings?: string;
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

/** Goodput: N reads, concurrency 16, one client_id under a sliding-window quota. `tuned` false: carewire told the quota only. */
async function goodput(client: ClientName, tuned = true): Promise<Row> {
  const calls = Math.round(2_000 * SCALE);
  const quota = { limit: 100, windowMs: 1_000 };
  return withSimulator({ rateLimit: { limit: quota.limit, windowSeconds: quota.windowMs / 1000 } }, async (sim) => {
    const call = makeClient(client, sim.url, quota, tuned);
    const started = performance.now();
    const outcomes = await pool(calls, 16, (i) => call("read", i));
    const elapsed = performance.now() - started;
    const row = { ...(await tally(tuned ? "goodput" : "goodput-default", client, outcomes, sim, elapsed)), settings: describeSettings(client, quota, tuned) };
    // Share of what the quota allowed over the run: a sliding window admits `limit` at once,
    // then `limit` per window, so [0, elapsed] holds at most limit × (1 + elapsed / window).
    const allowed = quota.limit * (1 + elapsed / quota.windowMs);
    return { ...row, quota: `${quota.limit}/${quota.windowMs} ms`, goodputPctOfQuota: Math.round((1000 * row.ok) / allowed) / 10, sentPerOffered: Math.round((100 * row.sent) / row.offered) / 100 };
  });
}

/**
 * Outage: a steady offered load; everything 503 for a window, then recovery. `tuned` false is
 * the same outage for carewire with its default breaker (opens for 5 s over a 10 s window):
 * the run goes on 5.5 s past the recovery (11 s in all), so the default half-open probe
 * falls inside it.
 */
async function outage(client: ClientName, tuned = true): Promise<Row> {
  const outageFrom = 1_500 * Math.min(1, SCALE);
  const outageMs = 3_000 * Math.min(1, SCALE);
  const durationMs = (tuned ? 6_000 : 11_000) * Math.min(1, SCALE);
  return withSimulator({ rateLimit: false, faults: { outages: [{ startMs: outageFrom, durationMs: outageMs }] } }, async (sim) => {
    const call = makeClient(client, sim.url, undefined, tuned);
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
    const row = { ...(await tally(tuned ? "outage" : "outage-default", client, outcomes, sim, elapsed)), settings: describeSettings(client, undefined, tuned) };
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
      ...(client === "carewire" ? { halfOpenIntervalMs: tuned ? BREAKER_OPEN_MS : 5_000 } : {}),
    };
  });
}

/** Chaos writes: creates under 10 % reset-after-commit, 5 % 503 and a quota. */
async function chaos(client: ClientName, tuned = true): Promise<Row> {
  const calls = Math.round(2_000 * SCALE);
  const quota = { limit: 200, windowMs: 1_000 };
  const faults: FaultPlan = { random: { rate: 0.15, faults: [{ kind: "reset-after-commit", weight: 2 }, { kind: "status", status: 503, weight: 1 }] } };
  return withSimulator({ rateLimit: { limit: quota.limit, windowSeconds: 1 }, faults, seed: 11 }, async (sim) => {
    const call = makeClient(client, sim.url, quota, tuned);
    const started = performance.now();
    const outcomes = await pool(calls, 16, (i) => call("create", i));
    const row = { ...(await tally(tuned ? "chaos-writes" : "chaos-writes-default", client, outcomes, sim, performance.now() - started)), settings: describeSettings(client, quota, tuned) };
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
    settings: c === "carewire" ? describeSettings(c, undefined) : "none (createClient({ baseUrl }); untyped request())",
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

/** Runs plain `node` (compiled JavaScript only, no tsx) and resolves with the JSON line it prints and when that line arrived, in ms from just before the spawn. */
function runNode(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ json: Record<string, unknown>; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: path.join(here, ".."), env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let result: { json: Record<string, unknown>; ms: number } | undefined;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      // Complete lines only: the last piece may be a line still arriving.
      const line = result === undefined ? out.split("\n").slice(0, -1).find((l) => l.startsWith("{")) : undefined;
      if (line !== undefined) result = { json: JSON.parse(line) as Record<string, unknown>, ms: performance.now() - started };
    });
    child.on("exit", (code) => (code === 0 && result ? resolve(result) : reject(new Error(`node ${args.join(" ").slice(0, 120)} exited (${String(code)})`))));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/**
 * The 10th percentile: a round is only ever slowed by the machine (another VM's turn, a
 * slow core), never sped up, so the fast rounds are the ones least disturbed.
 */
const lowDecile = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 10)]!;
const round1 = (x: number) => Math.round(10 * x) / 10;
const round3 = (x: number) => Math.round(1000 * x) / 1000;

const CHILD_SETTINGS: Record<OverheadClient, string> = {
  carewire: "{pacing:{limit:Infinity}}",
  "openapi-fetch": "none (createClient({ baseUrl }), typed GET)",
  "openapi-fetch-timeout": "per request: {signal:AbortSignal.timeout(30000)} (openapi-fetch's documented timeout)",
};
const STUB_SETTINGS: Record<OverheadClient, string> = {
  carewire: "{pacing:{limit:Infinity},fetch:stub}",
  "openapi-fetch": "{fetch:stub} (createClient's documented option)",
  "openapi-fetch-timeout": "{fetch:stub}; per request: {signal:AbortSignal.timeout(30000)}",
};

/** The bare node:http server in its own process, and how many requests it has served. */
async function withBareServer<T>(run: (url: string, served: () => Promise<number>) => Promise<T>): Promise<T> {
  const server = await startChildServer<{ url: string }>("bare-server.mjs", {});
  const { url } = server.info;
  try {
    return await run(url, async () => ((await (await fetch(`${url}/__count`)).json()) as { requests: number }).requests);
  } finally {
    server.stop();
  }
}

interface OverheadOutput {
  rounds: number;
  perRound: number;
  warmup: number;
  /** Calls that reached the stubbed fetch after the warm-ups, both clients. */
  stubbedFetches: number;
  wallRatio: { medianOfRounds: number; min: number; max: number };
  cpuRatio: { medianOfRounds: number; min: number; max: number };
  /** carewire's warm-up CPU (per call, compilations included) over openapi-fetch's, median of the generations. */
  warmupCpuRatio: number;
  /** carewire against openapi-fetch with a per-request timeout signal (the like-for-like baseline). */
  wallRatioVsTimeout: { medianOfRounds: number; min: number; max: number };
  cpuRatioVsTimeout: { medianOfRounds: number; min: number; max: number };
  clients: Record<OverheadClient, { calls: number; medianWallUsPerCall: number; medianCpuUsPerCall: number; lowDecileWallUsPerCall: number; lowDecileCpuUsPerCall: number; meanWallUsPerCall: number; meanCpuUsPerCall: number; heapUsedMB: number } & Allocation>;
}

/**
 * The overhead rows' clients: openapi-fetch as its README sets it up (the target's
 * baseline), openapi-fetch with the per-request timeout its docs show
 * (`signal: AbortSignal.timeout(30_000)`, what carewire's default attempt timeout does),
 * and carewire.
 */
const OVERHEAD_CLIENTS = ["openapi-fetch", "openapi-fetch-timeout", "carewire"] as const;
type OverheadClient = (typeof OVERHEAD_CLIENTS)[number];

const OVERHEAD_CALLS = Math.round(10_000 * SCALE);
/**
 * Calls each fresh process makes before its rounds. V8 goes on compiling both clients' hot
 * functions for the first few thousand calls (counted with --trace-opt on the stub: openapi-fetch
 * settles after about 3,000 calls, carewire after about 5,000), and that compiling runs on
 * threads of its own that process CPU time counts: with 1,000 warm-up calls the rounds measured
 * the tier-up as much as the calls. The warm-up's own cost is reported apart (`warmupRatio`).
 */
const OVERHEAD_WARMUP = Number(process.env.OVERHEAD_WARMUP ?? 5_000);
/**
 * Untimed calls each worker of a generation makes, in turn, just before the timed rounds: the
 * workers warm up side by side, and a worker that then sat idle while the others finished
 * (V8 shrinks an idle process's heap) is busy again, as the others are, when the rounds start.
 */
const SETTLE_CALLS = 500;
/**
 * Short turns, many of them: a slow spell of this shared machine lasts longer than a turn of
 * ~100 calls, so it mostly hits the turns on either side of it alike, and the median of 90
 * per-round ratios moves less from run to run than that of 30 longer ones did.
 */
const OVERHEAD_ROUNDS = Number(process.env.OVERHEAD_ROUNDS ?? 90);
/**
 * Fresh processes per client, one generation after another, the rounds shared among them: on
 * this kind of machine one process can run 20–30 % slower than the next for its whole life
 * (the same JSON.parse and socket writes, slower), so one process per client is a lottery, and
 * three generations are three tickets: the median ratio moved by ±0.04 from run to run. Nine
 * generations of ten rounds each average the lottery out.
 */
const OVERHEAD_PROCESSES = Number(process.env.OVERHEAD_PROCESSES ?? 9);

interface RoundFigures {
  wallUs: number;
  cpuUs: number;
  fetches: number;
  heapUsedMB: number;
}

/** What a client's calls allocate (bench/overhead-child.mjs `allocation`), measured after its timed rounds. */
interface Allocation {
  allocatedKBPerCall: number;
  scavengesPer1kCalls: number;
}
const ALLOCATION_CALLS = 2_000;

/** One client of the overhead rows in its own process (bench/overhead-child.mjs), warmed up, running rounds on request. */
async function startOverheadWorker(client: OverheadClient | OtelClient, mode: "bare" | "stub", url?: string, macrotask = false) {
  const child = spawn(process.execPath, ["bench/overhead-child.mjs", JSON.stringify({ mode, client, url, macrotask, warmup: OVERHEAD_WARMUP })], {
    cwd: path.join(here, ".."),
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const ready = await new Promise<{ warmup: { wallUs: number; cpuUs: number } }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))) as { warmup: { wallUs: number; cpuUs: number } });
    });
    child.on("exit", (code) => reject(new Error(`overhead worker ${client} exited (${String(code)})`)));
  });
  /** One request to the worker and its one answer. */
  const ask = <T>(message: object) =>
    new Promise<T>((resolve) => {
      child.once("message", (m) => resolve(m as T));
      child.send(message);
    });
  return {
    /** Per call over the warm-up, compilations included. */
    warmup: ready.warmup,
    run: (calls: number) => ask<RoundFigures>({ calls }),
    allocation: (calls: number) => ask<Allocation>({ allocationCalls: calls }),
    stop: () => void child.kill("SIGTERM"),
  };
}

/**
 * The overhead rounds: each client in warmed-up processes of its own, the clients taking turns round
 * by round (first in turn), so a busy moment of this shared machine hits both alike, while
 * neither pays for the other's heap: a client that keeps memory from call to call makes the
 * garbage collector slower for everything in its process, and in one shared process that
 * cost would land on both.
 */
async function overheadRounds(mode: "bare" | "stub", url?: string, macrotask = false): Promise<OverheadOutput> {
  const clients = OVERHEAD_CLIENTS;
  const perRound = Math.ceil(OVERHEAD_CALLS / OVERHEAD_ROUNDS);
  const { figures, allocation, fetchesInRounds, warmups } = await takeTurns(clients, perRound, mode, url, macrotask);
  /** Per generation: carewire's warm-up over openapi-fetch's, the median of them (the workers warm up side by side: CPU time is the fair measure of it). */
  const warmupRatio = (key: "cpuUs") => median(warmups.carewire.map((w, i) => w[key] / warmups["openapi-fetch"][i]![key]));
  const ratios = (key: "wallUs" | "cpuUs", baseline: OverheadClient = "openapi-fetch") => {
    const r = figures.carewire.map((f, i) => f[key] / figures[baseline][i]![key]);
    return { medianOfRounds: median(r), min: Math.min(...r), max: Math.max(...r) };
  };
  const summary = (c: OverheadClient) => ({
    calls: perRound * OVERHEAD_ROUNDS,
    medianWallUsPerCall: median(figures[c].map((f) => f.wallUs)),
    medianCpuUsPerCall: median(figures[c].map((f) => f.cpuUs)),
    lowDecileWallUsPerCall: lowDecile(figures[c].map((f) => f.wallUs)),
    lowDecileCpuUsPerCall: lowDecile(figures[c].map((f) => f.cpuUs)),
    meanWallUsPerCall: figures[c].reduce((sum, f) => sum + f.wallUs, 0) / OVERHEAD_ROUNDS,
    meanCpuUsPerCall: figures[c].reduce((sum, f) => sum + f.cpuUs, 0) / OVERHEAD_ROUNDS,
    heapUsedMB: round1(figures[c].at(-1)!.heapUsedMB),
    allocatedKBPerCall: round1(allocation[c].allocatedKBPerCall),
    scavengesPer1kCalls: round1(allocation[c].scavengesPer1kCalls),
  });
  return {
    rounds: OVERHEAD_ROUNDS,
    perRound,
    warmup: OVERHEAD_WARMUP,
    stubbedFetches: clients.reduce((sum, c) => sum + fetchesInRounds[c], 0),
    wallRatio: ratios("wallUs"),
    cpuRatio: ratios("cpuUs"),
    warmupCpuRatio: warmupRatio("cpuUs"),
    wallRatioVsTimeout: ratios("wallUs", "openapi-fetch-timeout"),
    cpuRatioVsTimeout: ratios("cpuUs", "openapi-fetch-timeout"),
    clients: Object.fromEntries(clients.map((c) => [c, summary(c)])) as OverheadOutput["clients"],
  };
}

/**
 * OVERHEAD_ROUNDS rounds of `perRound` calls, each client first in turn, shared among
 * OVERHEAD_PROCESSES generations of workers (each started and warmed up afresh); then, untimed,
 * what each client's calls allocate, in the last generation.
 */
async function takeTurns<C extends OverheadClient | OtelClient>(
  clients: readonly C[],
  perRound: number,
  mode: "bare" | "stub",
  url?: string,
  macrotask = false,
): Promise<{ figures: Record<C, RoundFigures[]>; allocation: Record<C, Allocation>; fetchesInRounds: Record<C, number>; warmups: Record<C, Array<{ wallUs: number; cpuUs: number }>> }> {
  const figures = Object.fromEntries(clients.map((c) => [c, [] as RoundFigures[]])) as Record<C, RoundFigures[]>;
  const warmups = Object.fromEntries(clients.map((c) => [c, [] as Array<{ wallUs: number; cpuUs: number }>])) as Record<C, Array<{ wallUs: number; cpuUs: number }>>;
  const fetchesInRounds = Object.fromEntries(clients.map((c) => [c, 0])) as Record<C, number>;
  const allocation = {} as Record<C, Allocation>;
  for (let generation = 0; generation < OVERHEAD_PROCESSES; generation++) {
    const workers = {} as Record<C, Awaited<ReturnType<typeof startOverheadWorker>>>;
    try {
      // Side by side: no worker waits, idle, through the others' whole warm-ups.
      const started = await Promise.all(clients.map((c) => startOverheadWorker(c, mode, url, macrotask)));
      clients.forEach((c, i) => {
        workers[c] = started[i]!;
        warmups[c].push(workers[c].warmup);
      });
      for (const c of clients) await workers[c].run(SETTLE_CALLS);
      const rounds = roundsOf(generation);
      for (const round of rounds) {
        for (let i = 0; i < clients.length; i++) {
          const c = clients[(round + i) % clients.length]!;
          figures[c].push(await workers[c].run(perRound));
        }
      }
      // A stub counts its fetches from its process's start: the warm-up is left out.
      for (const c of clients) fetchesInRounds[c] += figures[c].at(-1)!.fetches - (mode === "stub" ? OVERHEAD_WARMUP + SETTLE_CALLS : 0);
      if (generation === OVERHEAD_PROCESSES - 1) for (const c of clients) allocation[c] = await workers[c].allocation(ALLOCATION_CALLS);
    } finally {
      for (const c of Object.keys(workers) as C[]) workers[c].stop();
    }
  }
  // OVERHEAD_RAW=1 keeps every round's figures (bench/.work/raw-*.json), to look at per generation.
  if (process.env.OVERHEAD_RAW) await writeFile(path.join(here, `.work/raw-${mode}-${clients.length}-${Date.now()}.json`), JSON.stringify(figures));
  return { figures, allocation, fetchesInRounds, warmups };
}

/** The round numbers a generation of workers runs: the rounds split as evenly as they go. */
function roundsOf(generation: number): number[] {
  const from = Math.round((generation * OVERHEAD_ROUNDS) / OVERHEAD_PROCESSES);
  const to = Math.round(((generation + 1) * OVERHEAD_ROUNDS) / OVERHEAD_PROCESSES);
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/**
 * Rows of the overhead rounds. `measure` is what the ratio is of: wall time per call (bare
 * server) or the client process's CPU time per call (stub). Per-call figures are medians
 * over the rounds; `ratio` is the median of the per-round ratios, `ratioOfMedians` the
 * other way round; `heapUsedMB` is the client process's heap after its last round.
 */
function overheadRowsOf(scenario: string, out: OverheadOutput, measure: "wall" | "cpu", sent: number, target: string): Row[] {
  const settings = scenario.startsWith("overhead-stub") ? STUB_SETTINGS : CHILD_SETTINGS;
  return OVERHEAD_CLIENTS.map((c) => {
    const figures = out.clients[c];
    const primary = measure === "wall" ? figures.medianWallUsPerCall : figures.medianCpuUsPerCall;
    const ratios = measure === "wall" ? out.wallRatio : out.cpuRatio;
    const other = measure === "wall" ? out.cpuRatio : out.wallRatio;
    const ofMedians = (m: "medianWallUsPerCall" | "medianCpuUsPerCall" | "lowDecileWallUsPerCall" | "lowDecileCpuUsPerCall") => round3(out.clients.carewire[m] / out.clients["openapi-fetch"][m]);
    return {
      scenario,
      client: c,
      settings: settings[c],
      offered: figures.calls,
      sent: Math.round(sent / OVERHEAD_CLIENTS.length),
      ok: figures.calls,
      failed: 0,
      status429: 0,
      elapsedMs: Math.round((figures.calls * figures.meanWallUsPerCall) / 1000),
      ratio: c === "carewire" ? round3(ratios.medianOfRounds) : c === "openapi-fetch" ? 1 : round3(figures[measure === "wall" ? "medianWallUsPerCall" : "medianCpuUsPerCall"] / out.clients["openapi-fetch"][measure === "wall" ? "medianWallUsPerCall" : "medianCpuUsPerCall"]),
      [measure === "wall" ? "perCallUs" : "perCallCpuUs"]: round1(primary),
      [measure === "wall" ? "perCallCpuUs" : "perCallWallUs"]: round1(measure === "wall" ? figures.medianCpuUsPerCall : figures.medianWallUsPerCall),
      heapUsedMB: figures.heapUsedMB,
      allocatedKBPerCall: figures.allocatedKBPerCall,
      scavengesPer1kCalls: figures.scavengesPer1kCalls,
      ...(c === "carewire"
        ? {
            target,
            ratioOfMedians: ofMedians(measure === "wall" ? "medianWallUsPerCall" : "medianCpuUsPerCall"),
            ratioOfLowDeciles: ofMedians(measure === "wall" ? "lowDecileWallUsPerCall" : "lowDecileCpuUsPerCall"),
            roundRatioRange: `${round3(ratios.min)}–${round3(ratios.max)}`,
            [measure === "wall" ? "cpuRatio" : "wallRatio"]: round3(other.medianOfRounds),
            ratioVsTimeoutBaseline: round3((measure === "wall" ? out.wallRatioVsTimeout : out.cpuRatioVsTimeout).medianOfRounds),
            warmupRatio: round3(out.warmupCpuRatio),
            allocationRatio: round3(figures.allocatedKBPerCall / out.clients["openapi-fetch"].allocatedKBPerCall),
            rounds: out.rounds,
          }
        : {}),
    };
  });
}

/** overhead-bare: 10,000 sequential GETs of the 50-patient page from the bare server, wall time. */
async function overheadBare(): Promise<Row[]> {
  return withBareServer(async (url, served) => {
    const before = await served();
    const out = await overheadRounds("bare", url);
    // Each worker warms up once started, after `before` was read, and makes its untimed
    // allocation calls after the rounds: both are counted out.
    const sent = (await served()) - before - OVERHEAD_CLIENTS.length * (OVERHEAD_PROCESSES * (OVERHEAD_WARMUP + SETTLE_CALLS) + ALLOCATION_CALLS);
    return overheadRowsOf("overhead-bare", out, "wall", sent, "≤ 1.10");
  });
}

/**
 * The otel rows: the overhead-bare call with carewire several ways, each in its own process,
 * taking turns: without OpenTelemetry (`openTelemetry: false`); with the SDK's tracer
 * registered globally, spans batched to an exporter that drops them (the target's row: a
 * tracer and a no-op exporter); with metrics registered too (read every 10 s into an
 * exporter that drops them); with the api installed but nothing registered; and two floors:
 * carewire's own OpenTelemetry off while the app records the same spans (and, for the second,
 * the same metrics) by hand with the same SDK. `ratio` is the median of the per-round ratios
 * of wall µs/call to the row without OpenTelemetry; `ratioOverByHand` the median ratio of an
 * SDK row to its floor, what carewire's instrumentation costs beyond the SDK's own price for
 * that telemetry.
 */
const OTEL_CLIENTS = ["carewire-otel-off", "carewire-otel-traces", "carewire-otel-traces-by-hand", "carewire-otel-sdk", "carewire-otel-by-hand", "carewire-otel-api"] as const;
type OtelClient = (typeof OTEL_CLIENTS)[number];
const OTEL_SETTINGS: Record<OtelClient, string> = {
  "carewire-otel-off": "{pacing:{limit:Infinity},openTelemetry:false}",
  "carewire-otel-traces":
    "{pacing:{limit:Infinity}}; registered globally (api ESM entry): BasicTracerProvider + BatchSpanProcessor (defaults: queue 2048, batch 512, 5 s) over a span exporter that drops; no meter provider; carewire loads the api itself",
  "carewire-otel-traces-by-hand":
    "{pacing:{limit:Infinity},openTelemetry:false}; the tracer registered as in the traces row, and the app records by hand the two spans carewire would: a call span and an attempt span under it, with the same names and attributes",
  "carewire-otel-sdk":
    "{pacing:{limit:Infinity}}; the tracer as in the traces row, and a MeterProvider + PeriodicExportingMetricReader (10 s) over a metric exporter that drops, both registered globally",
  "carewire-otel-api": "{pacing:{limit:Infinity}}; @opentelemetry/api installed, no provider registered",
  "carewire-otel-by-hand":
    "{pacing:{limit:Infinity},openTelemetry:false}; the SDK registered as in the SDK row, and the app records by hand what carewire would: a call span and an attempt span under it with the same names and attributes, the duration histogram and a calls counter (a synchronous Counter) with the same attribute sets",
};

/** Each SDK row's floor: the same telemetry recorded by hand. */
const FLOOR_OF: Partial<Record<OtelClient, OtelClient>> = { "carewire-otel-traces": "carewire-otel-traces-by-hand", "carewire-otel-sdk": "carewire-otel-by-hand" };

async function otelRows(): Promise<Row[]> {
  return withBareServer(async (url, served) => {
    const before = await served();
    const perRound = Math.ceil(OVERHEAD_CALLS / OVERHEAD_ROUNDS);
    const { figures, allocation } = await takeTurns(OTEL_CLIENTS, perRound, "bare", url);
    const sent = (await served()) - before - OTEL_CLIENTS.length * (OVERHEAD_PROCESSES * (OVERHEAD_WARMUP + SETTLE_CALLS) + ALLOCATION_CALLS);
    const without = figures["carewire-otel-off"];
    return OTEL_CLIENTS.map((c) => {
      const ratios = figures[c].map((f, i) => f.wallUs / without[i]!.wallUs);
      const calls = perRound * OVERHEAD_ROUNDS;
      return {
        scenario: "otel",
        client: "carewire",
        settings: OTEL_SETTINGS[c],
        offered: calls,
        sent: Math.round(sent / OTEL_CLIENTS.length),
        ok: calls,
        failed: 0,
        status429: 0,
        elapsedMs: Math.round(figures[c].reduce((sum, f) => sum + f.wallUs * perRound, 0) / 1000),
        ratio: round3(median(ratios)),
        ...(c === "carewire-otel-traces" ? { target: "≤ 1.05" } : {}),
        ...(FLOOR_OF[c] ? { ratioOverByHand: round3(median(figures[c].map((f, i) => f.wallUs / figures[FLOOR_OF[c]!][i]!.wallUs))) } : {}),
        roundRatioRange: `${round3(Math.min(...ratios))}–${round3(Math.max(...ratios))}`,
        perCallUs: round1(median(figures[c].map((f) => f.wallUs))),
        perCallCpuUs: round1(median(figures[c].map((f) => f.cpuUs))),
        cpuRatio: round3(median(figures[c].map((f, i) => f.cpuUs / without[i]!.cpuUs))),
        heapUsedMB: round1(figures[c].at(-1)!.heapUsedMB),
        allocatedKBPerCall: round1(allocation[c].allocatedKBPerCall),
        scavengesPer1kCalls: round1(allocation[c].scavengesPer1kCalls),
        rounds: OVERHEAD_ROUNDS,
      };
    });
  });
}

/**
 * overhead-stub: the same calls on a stubbed fetch, process CPU time; then a CPU profile of
 * each client's loop. The stub answers within the same job (microtasks only), so a round of
 * calls never returns to the event loop, which a network call always does; the
 * `overhead-stub-macrotask` rows repeat the rounds with the stub waiting one setImmediate per
 * call, so what is released only at the end of a job, or after a FinalizationRegistry's
 * cleanup, is released as it would be on the network.
 */
async function overheadStub(): Promise<{ rows: Row[]; profile: { carewire: ProfileSummary; "openapi-fetch": ProfileSummary } }> {
  const out = await overheadRounds("stub");
  const rows = overheadRowsOf("overhead-stub", out, "cpu", out.stubbedFetches, "≤ 1.25");
  const perMacrotask = await overheadRounds("stub", undefined, true);
  rows.push(...overheadRowsOf("overhead-stub-macrotask", perMacrotask, "cpu", perMacrotask.stubbedFetches, "(≤ 1.25 is for overhead-stub)"));
  const dir = path.join(here, ".work/profiles");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const profile = {} as { carewire: ProfileSummary; "openapi-fetch": ProfileSummary };
  for (const client of ["carewire", "openapi-fetch"] as const) {
    const file = path.join(dir, `overhead-stub-${client}.cpuprofile`);
    const calls = 2 * OVERHEAD_CALLS;
    const run = await runNode(["bench/overhead-child.mjs", JSON.stringify({ mode: "profile", client, calls, warmup: OVERHEAD_WARMUP, intervalUs: 100, out: file })]);
    profile[client] = await summarizeProfile(file, calls, run.json.cpuUs as number, 20);
  }
  return { rows, profile };
}

interface ImportStep {
  specifier: string;
  ms: number;
  packages?: Record<string, { modules: number; kB: number }>;
}

/** cold-start: process start → first result in fresh processes, alternating, against the bare server; then import times. */
async function coldStart(): Promise<{ rows: Row[]; imports: Record<string, unknown> }> {
  const runs = 15;
  const clients = ["openapi-fetch", "carewire"] as const;
  const rows = await withBareServer(async (url, served) => {
    const spawnToResult: Record<string, number[]> = { carewire: [], "openapi-fetch": [], node: [] };
    const inProcess: Record<string, number[]> = { carewire: [], "openapi-fetch": [], node: [] };
    const before = await served();
    for (let run = 0; run < runs; run++) {
      // An empty node process (its own start-up, which both clients pay) between the two.
      const order = run % 2 === 0 ? [clients[0], "node", clients[1]] : [clients[1], "node", clients[0]];
      for (const who of order) {
        const args = who === "node" ? ["-e", "process.stdout.write(JSON.stringify({ firstResultMs: performance.now() }) + '\\n')"] : [`bench/cold-start-${who}.mjs`, url];
        const { json, ms } = await runNode(args);
        spawnToResult[who]!.push(ms);
        inProcess[who]!.push(json.firstResultMs as number);
      }
    }
    const sent = (await served()) - before;
    const med = (who: string) => median(spawnToResult[who]!);
    return clients.map((c) => ({
      scenario: "cold-start",
      client: c as ClientName,
      settings: CHILD_SETTINGS[c],
      offered: runs,
      sent: sent / 2,
      ok: spawnToResult[c]!.length,
      failed: runs - spawnToResult[c]!.length,
      status429: 0,
      elapsedMs: Math.round(med(c)),
      medianMs: round1(med(c)),
      range: `${round1(Math.min(...spawnToResult[c]!))}–${round1(Math.max(...spawnToResult[c]!))} ms`,
      inProcessMs: round1(median(inProcess[c]!)),
      emptyNodeMs: round1(med("node")),
      ...(c === "carewire"
        ? {
            coldStartRatio: round3(med("carewire") / med("openapi-fetch")),
            target: "≤ 1.3",
            inProcessRatio: round3(median(inProcess.carewire!) / median(inProcess["openapi-fetch"]!)),
            ratioAboveEmptyNode: round3((med("carewire") - med("node")) / (med("openapi-fetch") - med("node"))),
            runs,
          }
        : {}),
    }));
  });

  // Import times: each set in a fresh process, the sets interleaved, 9 runs; medians per step.
  const sets: string[][] = [["carewire"], ["carewire/fhir"], ["openapi-fetch"], ["zod"], ["zod", "openapi-fetch", "carewire"], ["carewire", "carewire/fhir"]];
  const times = sets.map((set) => set.map(() => [] as number[]));
  let ajvLoaded = false;
  for (let run = 0; run < 9; run++) {
    for (const [i, set] of sets.entries()) {
      const { json } = await runNode(["bench/import-time.mjs", ...set]);
      (json.steps as ImportStep[]).forEach((step, j) => times[i]![j]!.push(step.ms));
      if (set.includes("carewire/fhir")) ajvLoaded ||= json.ajvLoaded as boolean;
    }
  }
  const step = (i: number, j: number) => round1(median(times[i]![j]!));
  // What each import loads: ES modules and their size, per package.
  const counted = await runNode(["bench/import-time.mjs", "carewire", "carewire/fhir"], { ...process.env, IMPORT_COUNT: "1" });
  const countedSteps = counted.json.steps as ImportStep[];
  const imports = {
    runs: 9,
    carewireMs: step(0, 0),
    carewireFhirMs: step(1, 0),
    openapiFetchMs: step(2, 0),
    zodMs: step(3, 0),
    carewireAfterZodAndOpenapiFetchMs: step(4, 2),
    carewireFhirAfterCarewireMs: step(5, 1),
    ajvLoadedByImportingCarewireFhir: ajvLoaded,
    modulesLoadedByCarewire: countedSteps[0]!.packages,
    modulesAddedByCarewireFhir: countedSteps[1]!.packages,
  };
  return { rows, imports };
}

// BENCH_SCENARIOS (comma-separated: goodput, outage, outage-default, chaos-writes, overhead,
// overhead-bare, overhead-stub, cold-start, otel) runs a subset; results files are written only for a full run.
const only = process.env.BENCH_SCENARIOS?.split(",").map((s) => s.trim());
const wanted = (name: string) => only === undefined || only.includes(name);
const rows: Row[] = [];
const log = (row: Row) => process.stderr.write(`  ${row.scenario} ${row.client}: ok ${row.ok}/${row.offered}, sent ${row.sent}, 429s ${row.status429}, ${row.elapsedMs} ms\n`);
for (const scenario of [goodput, outage, chaos].filter((s) => wanted(s.name === "chaos" ? "chaos-writes" : s.name))) {
  for (const client of CLIENTS) {
    const row = await scenario(client);
    rows.push(row);
    log(row);
  }
}
// The tuned scenarios again, carewire with its defaults (told only the scenario's quota; the
// others have nothing to tune): the outage with the default breaker, goodput and chaos writes
// with the default attempt timeout and breaker.
for (const [name, run] of [["goodput-default", goodput], ["outage-default", outage], ["chaos-writes-default", chaos]] as const) {
  if (!wanted(name)) continue;
  const row = await run("carewire", false);
  rows.push(row);
  log(row);
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
// The rows on compiled JavaScript in child processes need the generated clinic client as JS.
if (wanted("overhead-bare") || wanted("overhead-stub") || wanted("cold-start") || wanted("otel")) await compileGenerated("clinic");
if (wanted("overhead-bare")) for (const row of await overheadBare()) rows.push(row), log(row);
if (wanted("otel")) for (const row of await otelRows()) rows.push(row), process.stderr.write(`  otel ${row.settings}: ratio ${String(row.ratio)}, ${String(row.perCallUs)} µs/call\n`);
let profile: Awaited<ReturnType<typeof overheadStub>>["profile"] | undefined;
if (wanted("overhead-stub")) {
  const stub = await overheadStub();
  for (const row of stub.rows) rows.push(row), log(row);
  profile = stub.profile;
}
let imports: Record<string, unknown> | undefined;
if (wanted("cold-start")) {
  const cold = await coldStart();
  for (const row of cold.rows) rows.push(row), log(row);
  imports = cold.imports;
}

const report = {
  benchmark: "runtime: carewire vs openapi-fetch, p-retry, stainless-like against the simulator; carewire vs openapi-fetch against a bare node:http server, a stubbed fetch and from a cold start",
  node: process.version,
  cpus: os.cpus().length,
  loadAverage: os.loadavg().map(round1),
  date: new Date().toISOString(),
  scale: SCALE,
  rows,
  ...(imports ? { imports } : {}),
  ...(profile ? { overheadStubProfile: profile } : {}),
};
if (only === undefined) {
  await mkdir(path.join(here, "results"), { recursive: true });
  await writeFile(path.join(here, "results/runtime.json"), `${JSON.stringify(report, null, 2)}\n`);
}

const shareTable = (title: string, shares: ProfileSummary["categories"]) => [
  `| ${title} | µs CPU per call | share |`,
  "|---|---:|---:|",
  ...shares.map((s) => `| ${s.name.replace(/\|/g, "\\|")} | ${s.us} | ${s.pct} % |`),
  "",
];
/** Both profiles side by side, each sample given to the client that asked for the work (see overhead-profile.ts), with carewire's extra per call. */
const callerDifference = (cw: ProfileSummary, raw: ProfileSummary) => {
  const a = new Map(cw.byCaller.map((x) => [x.name, x.us]));
  const b = new Map(raw.byCaller.map((x) => [x.name, x.us]));
  const owners = [...new Set([...a.keys(), ...b.keys()])];
  return [
    "| where the CPU goes | carewire µs/call | openapi-fetch µs/call | carewire's extra |",
    "|---|---:|---:|---:|",
    ...owners.map((o) => `| ${o} | ${round1(a.get(o) ?? 0)} | ${round1(b.get(o) ?? 0)} | ${round1((a.get(o) ?? 0) - (b.get(o) ?? 0))} |`),
    `| total | ${cw.cpuUsPerCall} | ${raw.cpuUsPerCall} | ${round1(cw.cpuUsPerCall - raw.cpuUsPerCall)} |`,
    "",
  ];
};

const md: string[] = [
  "# Runtime benchmark",
  "",
  `node ${process.version}, ${os.cpus().length} CPUs (load average ${report.loadAverage.join(", ")} at the end), ${report.date.slice(0, 10)}, scale ${SCALE}. One run, clients side by side. The goodput, outage, chaos-writes and overhead rows run against the simulator in its own process (fresh per row), from this tsx process; carewire runs from the compiled dist/, as an installed package does. The overhead-bare, overhead-stub and cold-start rows run in child processes of plain node on compiled JavaScript (the generated clinic client transpiled to bench/.work/clinic), against bench/bare-server.mjs (a node:http server in its own process answering every request with the same pre-serialized 50-patient page, application/json, 8,631 bytes) or a stubbed fetch (a new Response of those bytes per call).`,
  "",
  "**settings** lists every setting a row changes from the client's defaults; carewire's rows with `{pacing:{limit:Infinity}}` only run its default policies (cache, idempotency, retry, breaker, pacing), the limit lifted because the clinic spec declares a 120/min quota that would pace a quota-free server. The `goodput`, `outage` and `chaos-writes` rows tune carewire (a 5 s attempt timeout, a breaker that opens for 500 ms over a 2 s window); each has a `-default` row with carewire's defaults, told only the scenario's quota. `outage-default` runs 11 s instead of 6 s so the default breaker's half-open probe (after 5 s) falls inside the run.",
  "",
  "| scenario | client | settings | offered | sent | ok | failed | 429s | elapsed | scenario figures |",
  "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
  ...rows.map((r) => {
    const base = new Set(["scenario", "client", "settings", "offered", "sent", "ok", "failed", "status429", "elapsedMs"]);
    const extra = Object.entries(r)
      .filter(([k]) => !base.has(k))
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(", ");
    return `| ${r.scenario} | ${r.client} | ${r.settings ?? ""} | ${r.offered} | ${r.sent} | ${r.ok} | ${r.failed} | ${r.status429} | ${(r.elapsedMs / 1000).toFixed(1)} s | ${extra} |`;
  }),
  "",
  "overhead (against the simulator) runs both clients in this one tsx process, alternating over 30 rounds: they share a heap, so memory one client keeps slows the other's garbage collection too. overhead-bare: each client in " + `${OVERHEAD_PROCESSES}` + " fresh processes, one generation after another (each warmed up with " + `${OVERHEAD_WARMUP.toLocaleString("en-US")}` + " calls, side by side, then " + `${SETTLE_CALLS}` + " untimed calls each in turn just before the rounds: V8 goes on compiling both clients' functions for the first few thousand, on threads process CPU time counts), the three clients taking turns over " + `${OVERHEAD_ROUNDS} rounds of ${Math.ceil(OVERHEAD_CALLS / OVERHEAD_ROUNDS)} calls, each first in turn, ${OVERHEAD_ROUNDS / OVERHEAD_PROCESSES} rounds per generation` + " (one process on this kind of machine can run 20–30 % slower than the next for its whole life, so one process per client would be a lottery): openapi-fetch as its README sets it up (the target's baseline), openapi-fetch with the per-request timeout its docs show (`signal: AbortSignal.timeout(30000)`, the bound carewire's default attempt timeout also puts on every request), and carewire; `ratio` is the median of the per-round ratios of carewire's wall µs/call to openapi-fetch's (for the timeout row, its own median over plain openapi-fetch's), `ratioOfLowDeciles` the ratio of the two clients' 10th-percentile rounds (the machine only ever slows a round, so the fast rounds are the least disturbed; shown beside the target's median, not instead of it), `ratioVsTimeoutBaseline` carewire's against the timeout row, `warmupRatio` carewire's per-call CPU time over the warm-up of a fresh process, compilations included, over openapi-fetch's (median of the generations: what the first calls of a process cost, between cold start and the steady state the rounds measure), `perCallUs` the median over the rounds, `perCallCpuUs` the client process's CPU per call, `heapUsedMB` its heap after the last round (separate processes, so a client that keeps memory pays for its own garbage collection only); after the rounds, untimed, each client makes 2,000 more calls under V8's sampling heap profiler (every 256 bytes, samples of collected objects kept): `allocatedKBPerCall` is what a call allocates, garbage included, `scavengesPer1kCalls` the young-generation collections those calls caused, and `allocationRatio` carewire's allocation over openapi-fetch's. Unlike wall time, these barely move with the machine's load. overhead-stub: the same with process CPU time (process.cpuUsage, user + system, all threads), the stub answering within the same job; overhead-stub-macrotask: the same with the stub waiting one setImmediate per call, as a network call returns to the event loop (that wait is in both clients' figures). cold-start: spawn → first result line, median of 15 fresh processes each, alternating; `inProcessMs` is node's own clock (performance.now()) at the first result, `emptyNodeMs` an empty `node -e` process in the same runs.",
  "otel: the overhead-bare call with carewire six ways, in generations of fresh warmed-up processes like overhead-bare, taking turns over " + `${OVERHEAD_ROUNDS} rounds` + ": without OpenTelemetry (`openTelemetry: false`); with the OpenTelemetry SDK's tracer registered globally (every span batched to an exporter that drops it, so the row measures recording, not exporting: the target's row, ≤ 1.05); with its metrics registered as well (every metric read into an exporter that drops it); with `@opentelemetry/api` installed but no provider registered; and two floors: carewire's OpenTelemetry off while the app records by hand, with the same SDK, the same two spans (and, for the second, the same histogram and counter) carewire records for the call. `ratio` is the median of the per-round ratios of wall µs/call to the row without OpenTelemetry; an SDK row's `ratioOverByHand` its median per-round ratio to its floor (what carewire adds beyond the SDK's own price for that telemetry).",
  "",
];
if (imports) {
  md.push(
    "## Import time",
    "",
    `Fresh process per measurement, median of ${String(imports.runs)}: \`import("carewire")\` ${String(imports.carewireMs)} ms, \`import("carewire/fhir")\` ${String(imports.carewireFhirMs)} ms, \`import("openapi-fetch")\` ${String(imports.openapiFetchMs)} ms, \`import("zod")\` ${String(imports.zodMs)} ms; carewire after zod and openapi-fetch are loaded ${String(imports.carewireAfterZodAndOpenapiFetchMs)} ms; carewire/fhir after carewire ${String(imports.carewireFhirAfterCarewireMs)} ms. Importing carewire/fhir loads ajv: ${String(imports.ajvLoadedByImportingCarewireFhir)}.`,
    "",
    `ES modules loaded by \`import("carewire")\`: ${Object.entries(imports.modulesLoadedByCarewire as Record<string, { modules: number; kB: number }>).map(([p, f]) => `${p} ${f.modules} (${f.kB > 0 ? `${f.kB} kB` : "CommonJS"})`).join(", ")}; added by \`carewire/fhir\`: ${Object.entries(imports.modulesAddedByCarewireFhir as Record<string, { modules: number; kB: number }>).map(([p, f]) => `${p} ${f.modules} (${f.kB > 0 ? `${f.kB} kB` : "CommonJS"})`).join(", ")}.`,
    "",
  );
}
if (profile) {
  const cw = profile.carewire;
  md.push(
    "## Where carewire's per-call CPU goes (overhead-stub, CPU profile)",
    "",
    `Each client alone for ${cw.calls} calls on the stubbed fetch after the warm-up, sampled every 100 µs (carewire ${cw.samples} samples, ${cw.cpuUsPerCall} µs CPU per call under the profiler; openapi-fetch ${profile["openapi-fetch"].cpuUsPerCall} µs). Shares are of samples, scaled to the measured CPU per call. One uninterrupted run per client: the stub answers within the job, so what a call keeps past its end (until the job ends, or until a FinalizationRegistry cleanup) piles up over the run, and the GC figures are higher than in the rounds. Profiles in bench/.work/profiles/ (open in Chrome DevTools or speedscope).`,
    "",
    ...callerDifference(cw, profile["openapi-fetch"]),
    ...shareTable("carewire: self time by owner", cw.categories),
    ...shareTable("carewire functions, self time", cw.topSelf),
    ...shareTable("carewire functions, self + the library and builtin code they call (innermost carewire frame)", cw.topAttributed),
    ...shareTable("carewire functions, inclusive", cw.topInclusive),
  );
}
if (only === undefined) await writeFile(path.join(here, "results/runtime.md"), md.join("\n"));
process.stdout.write(md.join("\n"));
