/**
 * The runtime end to end: the generated clinic client, every default policy on, against
 * the carewire simulator over real HTTP on 127.0.0.1 (a provider's quota, its faults
 * and its tokens). Waits are real but short (Retry-After of 1 s, breakers of 300 ms).
 */
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "@jest/globals";
import pino from "pino";
import { DEFAULT_CLIENTS, type Simulator, type SimulatorOptions } from "carewire/testing";
import { FakeClock } from "carewire/testing";
import type { ClientOptions } from "carewire";
import { createClinicClient } from "../../generated/clinic/index.js";
import { clinicSimulator, NEW_PATIENT } from "../helpers/simulator.js";

const CLIENT_ID = "carewire-demo";
const SECRET = DEFAULT_CLIENTS[CLIENT_ID]!;

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  sim = await clinicSimulator({ rateLimit: false, ...options });
  return sim;
}

function client(s: Simulator, options: Partial<ClientOptions> = {}) {
  return createClinicClient({
    baseUrl: s.url,
    auth: { tokenUrl: s.tokenPath, clientId: CLIENT_ID, clientSecret: SECRET },
    // The client is told the quota the simulator enforces (none unless a test sets one).
    pacing: { limit: Infinity },
    ...options,
  });
}

const patient = (n: number) => ({ ...NEW_PATIENT, identifier: `MRN-${7000 + n}` });
const byOperation = (s: Simulator, operationId: string) => s.log.filter((e) => e.operationId === operationId);

describe("runtime against the simulator", () => {
  it("waits out a 429's Retry-After and sends the same write again with the same Idempotency-Key: one patient", async () => {
    const s = await start({ rateLimit: { limit: 2, windowSeconds: 1 } });
    const c = client(s); // told nothing of the quota: it learns from the 429
    expect((await c.createPatient({ body: patient(1) })).error).toBeUndefined(); // the token request is the other one in the window

    const started = Date.now();
    const second = await c.createPatient({ body: patient(2) });

    expect(second.error).toBeUndefined();
    expect(second.meta.attempts.map((a) => a.status)).toEqual([429, 201]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const sent = byOperation(s, "createPatient").filter((e) => e.idempotencyKey === second.meta.idempotencyKey);
    expect(sent.map((e) => e.status)).toEqual([429, 201]);
    expect(s.counters.writesCommitted).toBe(2);
    expect(s.counters.duplicates).toBe(0);
  });

  it("after a connection reset that followed the commit, learns the outcome with the same key: no duplicate", async () => {
    const s = await start();
    s.faults.enqueue("createPatient", [{ kind: "reset-after-commit" }]);
    const c = client(s);

    const result = await c.createPatient({ body: patient(3) }, { businessKey: { mrn: patient(3).identifier } });

    expect(result.error).toBeUndefined();
    expect(result.data?.identifier).toBe(patient(3).identifier);
    expect(result.meta.attempts).toHaveLength(2);
    expect(result.meta.attempts[0]).toMatchObject({ errorKind: "network" });
    const sent = byOperation(s, "createPatient");
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((e) => e.idempotencyKey))).toEqual(new Set([result.meta.idempotencyKey]));
    expect(sent[1]!.replayed).toBe(true);
    expect(s.counters.writesCommitted).toBe(1);
    expect(s.counters.duplicates).toBe(0);
  });

  it("waits a 503's Retry-After before retrying a read", async () => {
    const s = await start();
    s.faults.enqueue("getPractitioner", [{ kind: "status", status: 503, retryAfter: 1 }]);
    const c = client(s);
    const started = Date.now();

    const result = await c.getPractitioner({ params: { path: { practitionerId: "pr-1" } } }, { cache: "no-store" });

    expect(result.error).toBeUndefined();
    expect(result.meta.attempts.map((a) => a.status)).toEqual([503, 200]);
    expect(result.meta.attempts[1]!.delayMs).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("opens the breaker in an outage, fails fast without sending, and closes on the first probe after recovery", async () => {
    const s = await start();
    const c = client(s, { retry: false, breaker: { minimumThroughput: 4, openMs: 300, windowMs: 10_000 } });
    await c.listPractitioners(); // token fetched before the outage
    s.faults.addOutage(Date.now() - s.startedAt, 400);

    // One success and three 503s: 75 % of 4 outcomes, over the 50 % ratio.
    for (let i = 0; i < 3; i++) {
      const r = await c.getPractitioner({ params: { path: { practitionerId: "pr-1" } } }, { cache: "no-store" });
      expect(r.error).toMatchObject({ kind: "http", status: 503 });
      expect(r.meta.breaker?.state).toBe(i < 2 ? "closed" : "open");
    }
    const sentBefore = s.counters.requests;
    const refused = await c.getPractitioner({ params: { path: { practitionerId: "pr-1" } } }, { cache: "no-store" });
    expect(refused.error).toMatchObject({ kind: "circuit-open" });
    expect(refused.error?.kind === "circuit-open" && refused.error.retryAt).toBeGreaterThan(Date.now());
    expect(refused.meta.breaker?.state).toBe("open");
    expect(s.counters.requests).toBe(sentBefore);

    await new Promise((r) => setTimeout(r, 500)); // outage over, and the open interval passed
    const probe = await c.getPractitioner({ params: { path: { practitionerId: "pr-1" } } }, { cache: "no-store" });
    expect(probe.error).toBeUndefined();
    expect(probe.meta.breaker?.state).toBe("closed");
  });

  it("refreshes an expired token once on a 401 and sends the call once more", async () => {
    const s = await start();
    const c = client(s);
    expect((await c.listPractitioners()).error).toBeUndefined();
    s.expireTokens();

    const result = await c.listPractitioners();

    expect(result.error).toBeUndefined();
    expect(result.meta.attempts.map((a) => a.status)).toEqual([401, 200]);
    expect(byOperation(s, "issueToken")).toHaveLength(2);
  });

  it("answers from the stale cache entry, marked stale with its age, when the provider is down", async () => {
    const s = await start();
    const clock = new FakeClock({ start: Date.now() });
    const c = client(s, { clock, retry: false });
    const created = await c.createPatient({ body: patient(4) });
    const id = created.data!.id;
    const fresh = await c.getPatient({ params: { path: { patientId: id } } });
    expect(fresh.meta.source).toBe("network");

    await clock.advance(60_000); // past max-age 30 s, inside stale-if-error 300 s
    s.faults.addOutage(Date.now() - s.startedAt, 60_000);
    const stale = await c.getPatient({ params: { path: { patientId: id } } });

    expect(stale.error).toBeUndefined();
    expect(stale.data).toEqual(fresh.data);
    expect(stale.meta.source).toBe("stale");
    expect(stale.meta.ageMs).toBeGreaterThanOrEqual(60_000);
  });

  it("tolerates drift in ordinary fields, but a broken critical field (x-carewire-critical) is a typed error that keeps the body", async () => {
    const s = await start();
    const c = client(s);
    const id = (await c.createPatient({ body: patient(5) })).data!.id;
    s.faults.enqueue("getPatient", [{ kind: "drift", drift: "extra-fields" }, { kind: "drift", drift: "changed-type" }]);

    const drifted = await c.getPatient({ params: { path: { patientId: id } } }, { cache: "no-store" });
    expect(drifted.error).toBeUndefined();
    expect(drifted.meta.drift.unknownFields.length).toBeGreaterThan(0);

    const broken = await c.getPatient({ params: { path: { patientId: id } } }, { cache: "no-store" });
    expect(broken.error).toMatchObject({ kind: "contract-violation", status: 200 });
    if (broken.error?.kind !== "contract-violation") throw new Error("expected a contract violation");
    expect(broken.error.issues.map((i) => i.path)).toEqual(["$.id"]);
    expect(broken.error.data).toMatchObject({ id: 12345, identifier: patient(5).identifier });
    expect(broken.meta.attempts).toHaveLength(1); // not transient: never retried
  });

  it("logs through a pino logger: one JSON line per event, with no token, secret or Authorization", async () => {
    const s = await start();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString("utf8").split("\n").filter((l) => l.length > 0));
        done();
      },
    });
    const logger = pino({ level: "debug" }, sink);
    // Real fetch, watched: the bearer tokens actually sent are what must never be logged.
    const tokens = new Set<string>();
    const watched = (request: Request) => {
      const auth = request.headers.get("authorization");
      if (auth) tokens.add(auth.replace(/^Bearer /, ""));
      return fetch(request);
    };
    const c = client(s, { logger, fetch: watched });
    s.faults.enqueue("listPractitioners", [{ kind: "status", status: 503, retryAfter: 0 }]);

    expect((await c.listPractitioners()).error).toBeUndefined();
    s.expireTokens();
    expect((await c.listPractitioners()).error).toBeUndefined();
    await new Promise((r) => setImmediate(r));

    const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string; carewire?: { type: string } });
    const types = records.map((r) => r.carewire?.type);
    expect(types).toEqual(expect.arrayContaining(["token", "attempt", "retry"]));
    expect(records.every((r) => typeof r.msg === "string" && r.msg.startsWith("carewire "))).toBe(true);
    const text = lines.join("\n");
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/Bearer|authorization/i);
    expect(tokens.size).toBe(2);
    for (const token of tokens) expect(text).not.toContain(token);
  });
});
