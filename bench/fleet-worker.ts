/**
 * One instance of the fleet benchmark's app: `tsx bench/fleet-worker.ts '<settings json>'`.
 * It makes its client, says `ready`, waits for `go <epoch ms>` on stdin and then for that
 * moment (so every instance starts together, on the same clock), runs `concurrency` callers in a closed loop for `durationMs`, and prints one
 * JSON line with what it saw. carewire comes from dist/ (the compiled generated clinic
 * client imports `carewire`), as an installed package does.
 */
import Bottleneck from "bottleneck";
import { Redis } from "ioredis";
import createFetchClient from "openapi-fetch";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { redisStore, type QuotaStore, type SharedStore } from "carewire";

export type FleetClient = "carewire-memory" | "carewire-redis" | "carewire-redis-headers" | "carewire-redis-429-only" | "bottleneck-redis" | "bottleneck-redis-mintime" | "rate-limiter-flexible-redis";

export interface WorkerSettings {
  readonly client: FleetClient;
  readonly instance: number;
  readonly simUrl: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly durationMs: number;
  readonly concurrency: number;
  /** The quota the client is told, or none (it must learn it). */
  readonly quota?: { readonly limit: number; readonly windowMs: number };
  readonly expectedInstances: number;
  /** The tenant (clinic) this instance calls for (fairness scenario). */
  readonly tenant?: string;
  /** The lane of its calls (default: the operation's). */
  readonly priority?: "critical" | "interactive" | "batch";
  /** Open loop: calls started per second, whatever happens to them (instead of `concurrency` callers in a closed loop). */
  readonly offeredPerSecond?: number;
}

export interface WorkerReport {
  readonly offered: number;
  readonly ok: number;
  /** Calls answered ok inside the run, [start, start + durationMs): what the goodput counts. */
  readonly okInRun: number;
  readonly failed: number;
  readonly failures: Record<string, number>;
  /** Per call: ms from the call's start to its first request on the wire. */
  readonly waitsMs: number[];
  /** Per acquire of the shared quota, µs (empty where the library offers no way to time it). */
  readonly acquireUs: number[];
  readonly hung: number;
}

type Outcome = { ok: true; waitMs: number } | { ok: false; waitMs: number | undefined; kind: string };

const settings = JSON.parse(process.argv[2] ?? "{}") as WorkerSettings;
const acquireUs: number[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** carewire's default call deadline is 120 s; a call open past the run's end plus this is hung. */
const HANG_AFTER_MS = 125_000;

/** The quota store with each acquire timed (the delegate is the store carewire would use). */
function timed(store: QuotaStore): QuotaStore {
  return {
    acquire(request) {
      const start = performance.now();
      const answer = store.acquire(request);
      if (!(answer instanceof Promise)) {
        acquireUs.push((performance.now() - start) * 1000);
        return answer;
      }
      return answer.then((a) => (acquireUs.push((performance.now() - start) * 1000), a));
    },
    ...(store.bookAheadMs ? { bookAheadMs: store.bookAheadMs } : {}),
    settle: (...args) => store.settle(...args),
    cancel: (...args) => store.cancel(...args),
    pause: (...args) => store.pause(...args),
    pausedUntil: (key) => store.pausedUntil(key),
    observe: (...args) => store.observe(...args),
    usage: (...args) => store.usage(...args),
    ...(store.share ? { share: store.share.bind(store) } : {}),
    ...(store.known ? { known: store.known.bind(store) } : {}),
  };
}

async function carewireCaller(): Promise<{ call: (n: number) => Promise<Outcome>; close: () => Promise<void> }> {
  // The generated clinic client as compiled JavaScript (bench/compile-generated.ts), typed by its source.
  const compiled = "./.work/clinic/";
  const { createClinicClient } = (await import(`${compiled}index.js`)) as typeof import("../generated/clinic/index.js");
  const { operations } = (await import(`${compiled}operations.js`)) as { operations: Record<string, { hints: { rateLimit?: unknown } }> };
  // Rows that must learn the quota: the spec declares none (as the seed provider's would not).
  if (settings.quota === undefined) for (const op of Object.values(operations)) delete op.hints.rateLimit;
  let shared: SharedStore | undefined;
  if (settings.client !== "carewire-memory") {
    const made = redisStore({ url: settings.redisUrl, prefix: settings.prefix, expectedInstances: settings.expectedInstances });
    shared = { ...made, quota: timed(made.quota), close: () => made.close() };
  }
  const client = createClinicClient({
    baseUrl: settings.simUrl,
    pacing: { ...(settings.quota ?? {}), ...(settings.client === "carewire-memory" ? { store: timed(new (await import("carewire")).MemoryQuotaStore()) } : {}) },
    ...(shared ? { store: shared } : {}),
    ...(settings.tenant !== undefined ? { tenant: settings.tenant } : {}),
  });
  return {
    async call(n) {
      const started = Date.now();
      const result = await client.getPractitioner({ params: { path: { practitionerId: `pr-${n % 50}` } } }, { cache: "no-store", ...(settings.priority ? { priority: settings.priority } : {}) });
      const first = result.meta.attempts[0];
      const waitMs = first ? Date.parse(first.startedAt) - started : undefined;
      if (result.error === undefined) return { ok: true, waitMs: waitMs ?? 0 };
      return { ok: false, waitMs, kind: result.error.kind + (result.response ? ` ${result.response.status}` : "") };
    },
    close: async () => shared?.close(),
  };
}

/** The anchors: raw openapi-fetch behind the library's Redis limiter, a 429 retried after Retry-After (3 times at most). */
async function anchorCaller(): Promise<{ call: (n: number) => Promise<Outcome>; close: () => Promise<void> }> {
  const raw = createFetchClient<Record<string, never>>({ baseUrl: settings.simUrl });
  const quota = settings.quota!;
  const once = async (n: number) => {
    const r = await raw.request("get", `/practitioners/pr-${n % 50}` as never);
    return { status: r.response.status, retryAfter: r.response.headers.get("retry-after") };
  };
  let gate: <T>(work: () => Promise<T>) => Promise<T>;
  let close: () => Promise<void>;
  if (settings.client === "rate-limiter-flexible-redis") {
    const redis = new Redis(settings.redisUrl, { enableOfflineQueue: false });
    await new Promise((r) => redis.once("ready", r));
    const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${settings.prefix}rlf`, points: quota.limit, duration: quota.windowMs / 1000 });
    gate = async (work) => {
      for (;;) {
        const start = performance.now();
        try {
          await limiter.consume("client");
          acquireUs.push((performance.now() - start) * 1000);
          return await work();
        } catch (error) {
          if (!(error instanceof RateLimiterRes)) throw error;
          acquireUs.push((performance.now() - start) * 1000);
          await sleep(error.msBeforeNext);
        }
      }
    };
    close = async () => void redis.disconnect();
  } else {
    const [host, port] = new URL(settings.redisUrl).host.split(":");
    const shape =
      settings.client === "bottleneck-redis"
        ? { reservoir: quota.limit, reservoirRefreshAmount: quota.limit, reservoirRefreshInterval: quota.windowMs }
        : { minTime: quota.windowMs / quota.limit };
    const limiter = new Bottleneck({ id: `${settings.prefix}bottleneck`, datastore: "ioredis", clearDatastore: false, clientOptions: { host, port: Number(port) }, ...shape });
    await limiter.ready();
    gate = (work) => limiter.schedule(work);
    close = async () => void (await limiter.disconnect(false));
  }
  return {
    async call(n) {
      const started = Date.now();
      let waitMs: number | undefined;
      for (let retry = 0; ; retry++) {
        const r = await gate(() => {
          waitMs ??= Date.now() - started;
          return once(n);
        });
        if (r.status < 400) return { ok: true, waitMs: waitMs ?? 0 };
        if (r.status !== 429 || retry >= 3) return { ok: false, waitMs, kind: `HTTP ${r.status}` };
        await sleep(Math.min(60_000, Number(r.retryAfter ?? "1") * 1000));
      }
    },
    close,
  };
}

const caller = settings.client.startsWith("carewire") ? await carewireCaller() : await anchorCaller();
process.stdout.write("ready\n");
const startAt = await new Promise<number>((resolve) => process.stdin.once("data", (d: Buffer) => resolve(Number(/go (\d+)/.exec(d.toString())?.[1] ?? Date.now()))));
await sleep(Math.max(0, startAt - Date.now()));

const outcomes: Outcome[] = [];
let next = settings.instance * 1_000_000;
const end = startAt + settings.durationMs;
let inFlight = 0;
let okInRun = 0;
const run = async (n: number) => {
  inFlight++;
  const outcome = await caller.call(n).catch((error: unknown) => ({ ok: false as const, waitMs: undefined, kind: `thrown ${String(error)}` }));
  if (outcome.ok && Date.now() < end) okInRun++;
  outcomes.push(outcome);
  inFlight--;
};
const callers =
  settings.offeredPerSecond === undefined
    ? Promise.all(
        Array.from({ length: settings.concurrency }, async () => {
          while (Date.now() < end) await run(next++);
        }),
      )
    : (async () => {
        // Open loop: a call every 1/rate s, on schedule, however long the calls take.
        const every = 1000 / settings.offeredPerSecond!;
        const started: Array<Promise<void>> = [];
        for (let i = 0; Date.now() < end; i++) {
          started.push(run(next++));
          const due = end - settings.durationMs + (i + 1) * every;
          await sleep(Math.max(0, due - Date.now()));
        }
        await Promise.all(started);
      })();
// A call still open this long after the run (past any deadline) is hung: counted, not awaited.
await Promise.race([callers, sleep(settings.durationMs + HANG_AFTER_MS)]);
if (inFlight === 0) await caller.close();
const failures: Record<string, number> = {};
for (const o of outcomes) if (!o.ok) failures[o.kind] = (failures[o.kind] ?? 0) + 1;
const report: WorkerReport = {
  offered: outcomes.length,
  ok: outcomes.filter((o) => o.ok).length,
  okInRun,
  failed: outcomes.filter((o) => !o.ok).length,
  failures,
  waitsMs: outcomes.flatMap((o) => (o.waitMs === undefined ? [] : [o.waitMs])),
  acquireUs,
  hung: inFlight,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
