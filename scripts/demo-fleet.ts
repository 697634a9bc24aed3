/**
 * The demo's last part: one app run as three processes on one client_id, first each
 * pacing alone (the default), then sharing the quota through Redis (a real redis-server,
 * installed from Debian's packages where it is missing). The summary shows what the
 * provider saw: how many calls it answered, how many it refused with 429, and the goodput.
 */
import { spawn } from "node:child_process";
/** Run from source (`--conditions=carewire-source`), the workers are too: carewire's build may not exist. */
const sourceConditions = process.execArgv.filter((arg) => arg.startsWith("--conditions"));
import path from "node:path";
import { fileURLToPath } from "node:url";
import { clinicScenario, startSimulator } from "../src/testing/index.js";
import { startRedis } from "../test/helpers/redis-server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const INSTANCES = 3;
const SECONDS = Number(process.env.DEMO_FLEET_SECONDS ?? 5);
const QUOTA = { limit: 30, windowMs: 1_000 };
const CLIENT = { id: "carewire-demo", secret: "carewire-demo-secret" };

interface WorkerReport {
  calls: number;
  ok: number;
  failures: Record<string, number>;
  startedAt: number;
  endedAt: number;
}

function worker(settings: object): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...sourceConditions, "--import", "tsx", path.join(here, "demo-fleet-worker.ts"), JSON.stringify(settings)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code === 0 && line) resolve(JSON.parse(line) as WorkerReport);
      else reject(new Error(`fleet worker exited (${String(code)})`));
    });
  });
}

async function run(mode: "memory" | "redis", redisUrl: string | undefined): Promise<string[]> {
  const sim = await startSimulator({ spec: path.join(here, "../specs/clinic/openapi.yaml"), rateLimit: { limit: QUOTA.limit, windowSeconds: QUOTA.windowMs / 1000 }, handlers: clinicScenario });
  try {
    const reports = await Promise.all(
      Array.from({ length: INSTANCES }, () => worker({ simUrl: sim.url, ...(redisUrl ? { redisUrl } : {}), prefix: "demo:", seconds: SECONDS, callers: 4, quota: QUOTA, client: CLIENT })),
    );
    const ok = reports.reduce((n, r) => n + r.ok, 0);
    const calls = reports.reduce((n, r) => n + r.calls, 0);
    const counters = sim.counters;
    // What the quota allowed while any instance called (a sliding window admits `limit` at
    // once, then `limit` per window).
    const spanMs = Math.max(...reports.map((r) => r.endedAt)) - Math.min(...reports.map((r) => r.startedAt));
    const allowed = QUOTA.limit * (1 + spanMs / QUOTA.windowMs);
    const failed: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.failures)) failed[k] = (failed[k] ?? 0) + v;
    return [
      mode === "memory" ? "each alone (memory)" : "shared (Redis)",
      `${ok} of ${calls}`,
      Object.entries(failed).map(([k, v]) => `${v} ${k}`).join(", ") || "0",
      `${counters.requests} (${counters.byStatus["429"] ?? 0} answered 429)`,
      `${Math.round((100 * ok) / allowed)}%`,
    ];
  } finally {
    await sim.close();
  }
}

export async function fleetDemo(): Promise<void> {
  process.stderr.write(`  fleet: ${INSTANCES} processes on one client_id, ${SECONDS} s each way\n`);
  let redis: Awaited<ReturnType<typeof startRedis>>;
  try {
    redis = await startRedis();
  } catch (error) {
    // A laptop without redis-server (and not root, so nothing was installed): say so, skip.
    process.stdout.write(`\ncarewire demo: the fleet part is skipped: ${error instanceof Error ? error.message : String(error)}\n`);
    return;
  }
  try {
    const rows = [["quota state", "calls ok", "failed", "HTTP requests", "goodput"], await run("memory", undefined), await run("redis", redis.url)];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    process.stdout.write(`\ncarewire demo: one app, ${INSTANCES} processes, one client_id (quota ${QUOTA.limit} requests / ${QUOTA.windowMs / 1000} s)\n\n`);
    for (const row of rows) process.stdout.write(`  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")}\n`);
    process.stdout.write(
      "\nAlone, each process paces to the whole quota, so together they overrun it and the provider refuses\n" +
        "the excess. Sharing the window through Redis (redisStore, or CAREWIRE_REDIS_URL), they take turns.\n",
    );
  } finally {
    await redis.stop();
  }
}
