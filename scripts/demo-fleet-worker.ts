/**
 * One instance of the demo's app, in its own process: `tsx scripts/demo-fleet-worker.ts
 * '<settings json>'`. It reads practitioners through the generated clinic client on the
 * demo's client_id for `seconds`, with the quota in memory (alone) or in Redis (shared),
 * and prints one JSON line: calls, ok, and what failed.
 */
import { memoryStore, redisStore } from "../src/index.js";
import { createClinicClient } from "../generated/clinic/index.js";

interface Settings {
  readonly simUrl: string;
  readonly redisUrl?: string;
  readonly prefix: string;
  readonly seconds: number;
  readonly callers: number;
  readonly quota: { readonly limit: number; readonly windowMs: number };
  readonly client: { readonly id: string; readonly secret: string };
}

const settings = JSON.parse(process.argv[2] ?? "{}") as Settings;
const store = settings.redisUrl ? redisStore({ url: settings.redisUrl, prefix: settings.prefix, expectedInstances: 3 }) : memoryStore();
const clinic = createClinicClient({
  baseUrl: settings.simUrl,
  store,
  pacing: { limit: settings.quota.limit, windowMs: settings.quota.windowMs },
  auth: { tokenUrl: "/oauth/token", clientId: settings.client.id, clientSecret: settings.client.secret },
});

let calls = 0;
let ok = 0;
const failures: Record<string, number> = {};
const startedAt = Date.now();
const until = startedAt + settings.seconds * 1000;
await Promise.all(
  Array.from({ length: settings.callers }, async (_, caller) => {
    for (let n = 0; Date.now() < until; n++) {
      const result = await clinic.getPractitioner({ params: { path: { practitionerId: `pr-${(caller * 7 + n) % 50}` } } }, { cache: "no-store", deadlineMs: 10_000 });
      calls++;
      if (result.error === undefined) ok++;
      else failures[result.error.kind] = (failures[result.error.kind] ?? 0) + 1;
    }
  }),
);
await store.close();
process.stdout.write(`${JSON.stringify({ calls, ok, failures, startedAt, endedAt: Date.now() })}\n`);
