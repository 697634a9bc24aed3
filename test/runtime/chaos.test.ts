/**
 * Chaos writes end to end (the in-process version of bench/chaos.bench.ts): idempotent
 * creates through the generated clinic client against the simulator with seeded faults
 * (reset before the handler, reset after the commit, 503 + Retry-After, 502, truncated
 * JSON on the 201), then the server's state is checked against what every call reported.
 * No wall-clock assertions: only outcomes, so a loaded machine changes timings, not results.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import type { ClientOptions } from "carewire";
import { writeChaos, type Fault, type FaultPlan, type LogEntry, type Simulator } from "carewire/testing";
import { createClinicClient } from "../../generated/clinic/index.js";
import { clinicSimulator } from "../helpers/simulator.js";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const FAULTS: FaultPlan = writeChaos(0.22, ["createPatient"]);

function client(s: Simulator, options: Partial<ClientOptions> = {}) {
  return createClinicClient({
    baseUrl: s.url,
    timeoutMs: 20_000,
    pacing: { limit: Infinity, maxConcurrent: 32 },
    retry: { backoff: { baseMs: 5, capMs: 50 } },
    ...options,
  });
}

const mrn = (n: number) => `MRN-X${String(n).padStart(5, "0")}`;
const patient = (n: number) => ({ identifier: mrn(n), givenName: `G${n}`, familyName: `F${n % 97}`, birthDate: "1980-01-01" });

interface Outcome {
  readonly mrn: string;
  readonly ok: boolean;
  /** error.kind; "rejected" when the call's promise rejected, "no-kind" when the error had none. */
  readonly kind?: string;
  readonly id?: string;
  readonly key?: string;
  readonly attempts: ReadonlyArray<{ readonly status?: number; readonly errorKind?: string; readonly outcome?: string }>;
}

type Client = ReturnType<typeof client>;

async function create(c: Client, n: number): Promise<Outcome> {
  try {
    const result = await c.createPatient({ body: patient(n) }, { businessKey: { mrn: mrn(n) } });
    const attempts = result.meta.attempts.map((a) => ({ status: a.status, errorKind: a.errorKind, outcome: a.outcome }));
    if (result.error === undefined) return { mrn: mrn(n), ok: true, id: result.data.id, key: result.meta.idempotencyKey, attempts };
    const kind = typeof (result.error as { kind?: unknown }).kind === "string" ? result.error.kind : "no-kind";
    return { mrn: mrn(n), ok: false, kind, key: result.meta.idempotencyKey, attempts };
  } catch {
    return { mrn: mrn(n), ok: false, kind: "rejected", attempts: [] };
  }
}

/** MRN → stored ids, read back through the list endpoint (faults off). */
async function storedPatients(s: Simulator): Promise<Map<string, string[]>> {
  s.faults.clear();
  const records = new Map<string, string[]>();
  for (let page = 1; ; page++) {
    const response = await fetch(`${s.url}/patients?pageSize=100&page=${page}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ id: string; identifier: string }>; nextPage: number | null };
    for (const p of body.data) records.set(p.identifier, [...(records.get(p.identifier) ?? []), p.id]);
    if (body.nextPage === null) return records;
  }
}

/** Whether any attempt of the call may have committed: from the server's log and from what the client saw. */
function mayHaveCommitted(outcome: Outcome, log: readonly LogEntry[]): boolean {
  const serverSide = log.some((e) => e.idempotencyKey === outcome.key && (e.fault === "reset-after-commit" || e.fault === "truncated-json"));
  const clientSide = outcome.attempts.some((a) => a.outcome === "unknown-outcome" || a.errorKind === "network" || a.errorKind === "timeout" || a.errorKind === "malformed-response");
  return serverSide || clientSide;
}

const label = (o: Outcome) => `${o.mrn}: ${o.kind ?? "ok"} after ${o.attempts.map((a) => a.status ?? a.errorKind).join(" → ")}`;

describe("chaos writes against the simulator", () => {
  it("a call that may have committed stays unknown-outcome whatever later attempts get; one that surely did not stays a definite failure", async () => {
    const s = (sim = await clinicSimulator({ rateLimit: false, auth: false }));
    // Four attempts each, every one faulted: no breaker, so each script is used up by its own call.
    const c = client(s, { breaker: false, retry: { maxAttempts: 4, backoff: { baseMs: 1, capMs: 5 } } });
    const scripts: Array<{ faults: Fault[]; final: string; record: boolean }> = [
      { faults: [{ kind: "reset-after-commit" }, { kind: "status", status: 503, retryAfter: 0 }, { kind: "status", status: 502 }, { kind: "status", status: 503, retryAfter: 0 }], final: "unknown-outcome", record: true },
      { faults: [{ kind: "truncated-json" }, { kind: "status", status: 502 }, { kind: "status", status: 502 }, { kind: "status", status: 502 }], final: "unknown-outcome", record: true },
      { faults: [{ kind: "reset-before" }, { kind: "status", status: 503, retryAfter: 0 }, { kind: "status", status: 502 }, { kind: "status", status: 502 }], final: "unknown-outcome", record: false },
      { faults: [{ kind: "status", status: 502 }, { kind: "status", status: 502 }, { kind: "status", status: 503, retryAfter: 0 }, { kind: "status", status: 502 }], final: "http", record: false },
    ];
    const outcomes: Outcome[] = [];
    for (const [i, script] of scripts.entries()) {
      s.faults.enqueue("createPatient", script.faults);
      outcomes.push(await create(c, 90_000 + i));
    }
    const records = await storedPatients(s);

    expect(outcomes.map((o) => ({ kind: o.kind, attempts: o.attempts.length, record: records.has(o.mrn) }))).toEqual(
      scripts.map((sc) => ({ kind: sc.final, attempts: 4, record: sc.record })),
    );
    expect(s.counters.duplicates).toBe(0);
  });

  it("1 000 idempotent creates under 22 % seeded faults: no duplicate, nothing lost, every failure typed, unknown-outcome sticky", async () => {
    const s = (sim = await clinicSimulator({ rateLimit: false, auth: false, seed: 4242, faults: FAULTS, seedExamples: false }));
    const c = client(s);
    const CALLS = 1_000;
    const outcomes: Outcome[] = new Array<Outcome>(CALLS);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < CALLS) {
          const n = next++;
          outcomes[n] = await create(c, n);
        }
      }),
    );

    const counters = s.counters;
    const log = s.log.filter((e) => e.operationId === "createPatient");
    expect(s.log).toHaveLength(counters.requests); // the whole run is in the log (it keeps 10 000)
    const records = await storedPatients(s);
    const ok = outcomes.filter((o) => o.ok);
    const failed = outcomes.filter((o) => !o.ok);

    // The faults really were injected, every kind of them.
    const injected = log.filter((e) => e.fault !== null && e.fault !== "none");
    expect(injected.length / log.length).toBeGreaterThanOrEqual(0.15);
    for (const kind of ["reset-before", "reset-after-commit", "truncated-json"]) expect(injected.some((e) => e.fault === kind)).toBe(true);
    for (const status of [502, 503]) expect(injected.some((e) => e.fault === "status" && e.status === status)).toBe(true);

    // No duplicates: on the counter, and no business key stored twice.
    expect(counters.duplicates).toBe(0);
    expect([...records.entries()].filter(([, ids]) => ids.length > 1)).toEqual([]);
    expect(counters.writesCommitted).toBe([...records.values()].reduce((sum, ids) => sum + ids.length, 0));

    // Nothing lost: every ok call has its record (the one it was given), and no record
    // belongs to a call that reported a definite failure.
    expect(ok.filter((o) => !records.get(o.mrn)?.includes(o.id ?? "")).map(label)).toEqual([]);
    expect(failed.filter((o) => o.kind !== "unknown-outcome" && records.has(o.mrn)).map(label)).toEqual([]);

    // Every failure typed.
    expect(failed.filter((o) => o.kind === "rejected" || o.kind === "no-kind" || o.kind === "unexpected").map(label)).toEqual([]);

    // Sticky unknown-outcome: a failed call that may have committed says so.
    expect(failed.filter((o) => mayHaveCommitted(o, log) && o.kind !== "unknown-outcome").map(label)).toEqual([]);

    // Most calls get through (the retry budget may stop a few under this fault rate).
    expect(ok.length).toBeGreaterThan(CALLS * 0.8);
  }, 180_000);
});
