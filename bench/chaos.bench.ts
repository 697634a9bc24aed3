/**
 * `npm run bench:chaos`: at least 10 000 idempotent creates (the generated clinic client's
 * createPatient, each with a businessKey, so every attempt of a call carries the same
 * Idempotency-Key) against the clinic simulator in its own process, with about a fifth of
 * all requests faulted: connection reset before the handler, reset after the write
 * committed, 503 + Retry-After, 502, truncated JSON on the 201.
 *
 * Afterwards the server's state (counters, its full request log, every stored patient read
 * back through the list endpoint with faults off) is checked against what each call reported:
 *
 *   duplicates   0: no business key committed twice
 *   lost         0: no call that ended ok without its record, no record whose call reported
 *                a definite failure (anything but unknown-outcome)
 *   untyped      0: every failure a CarewireError with a kind other than "unexpected", no rejection
 *   sticky       0: a failed call where any attempt may have committed (the server logged a
 *                reset after commit or a truncated 201 for its key, or the client saw a
 *                network fault, timeout or malformed 2xx, or classified an attempt
 *                unknown-outcome) must end "unknown-outcome", whatever later attempts got
 *
 * The run is made twice, against a fresh simulator each time: with a client tuned for it and
 * with carewire's defaults (only the client-side quota lifted, as the scenario has none).
 *
 * Writes bench/results/chaos.json and chaos.md. CHAOS_CALLS overrides the number of calls
 * (results are written only for the full 10 000 or more).
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClinicClient } from "../generated/clinic/index.js";
import { startChildServer } from "./child-server.js";
import { writeChaos, type Counters, type FaultPlan, type LogEntry } from "../src/testing/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const CALLS = Number(process.env.CHAOS_CALLS ?? 10_000);
const CONCURRENCY = 48;
const SEED = 20_261;
const FAULT_RATE = 0.22;
/** Per-attempt timeout: no fault here hangs, so this only bounds a wedged socket. */
const TIMEOUT_MS = 10_000;
const BACKOFF = { baseMs: 20, capMs: 200 };
const FAULTS: FaultPlan = writeChaos(FAULT_RATE, ["createPatient"]);
/** The store starts empty (no example patients from the spec), so every record on it is a call's. */
const SIMULATOR = { rateLimit: false, seedExamples: false, seed: SEED, faults: FAULTS } as const;

const mrn = (n: number) => `MRN-C${String(n).padStart(6, "0")}`;
const PATIENT = (n: number) => ({ identifier: mrn(n), givenName: `G${n}`, familyName: `F${n % 97}`, birthDate: "1980-01-01" });

interface CallRecord {
  readonly n: number;
  readonly mrn: string;
  readonly ok: boolean;
  /** error.kind, "rejected" when the promise rejected, "no-kind" when the error had none. */
  readonly kind?: string;
  readonly status?: number;
  readonly key?: string;
  readonly id?: string;
  readonly identifierBack?: string;
  readonly attempts: ReadonlyArray<{ status?: number; errorKind?: string; outcome?: string; reason?: string }>;
}

async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/**
 * The client two ways, each against a fresh simulator with the same seed and faults: tuned for
 * this run (a shorter attempt timeout, as many calls in flight as callers, quick backoff), and
 * with carewire's defaults. Both lift the client-side quota: the scenario has none, and the
 * clinic spec's declared 120/min would pace 10,000 calls over 83 minutes.
 */
const VARIANTS = [
  {
    name: "tuned",
    options: { timeoutMs: TIMEOUT_MS, pacing: { limit: Infinity, maxConcurrent: CONCURRENCY }, retry: { backoff: BACKOFF } },
    settings: `timeoutMs ${TIMEOUT_MS}, pacing { limit: Infinity, maxConcurrent: ${CONCURRENCY} }, retry backoff { baseMs: ${BACKOFF.baseMs}, capMs: ${BACKOFF.capMs} }`,
  },
  {
    name: "default",
    options: { pacing: { limit: Infinity } },
    settings: "pacing { limit: Infinity } only (defaults: timeoutMs 30000, maxConcurrent 16, backoff { baseMs: 250, capMs: 20000 })",
  },
] as const;
type Variant = (typeof VARIANTS)[number];

interface Run {
  readonly variant: Variant["name"];
  readonly settings: string;
  readonly results: Record<string, unknown>;
  readonly pass: boolean;
  readonly defects: string[];
  readonly examples: Record<string, unknown>;
}

async function run(variant: Variant): Promise<Run> {
  const server = await startChildServer<{ url: string; startedAt: number; logUrl: string }>("chaos-sim-server.ts", SIMULATOR);
  const { url, logUrl } = server.info;
  try {
    const client = createClinicClient({ baseUrl: url, ...variant.options });
    process.stderr.write(`chaos, ${variant.name} client: ${variant.settings}\n`);

    const calls: CallRecord[] = new Array<CallRecord>(CALLS);
    const started = performance.now();
    let done = 0;
    const progress = setInterval(() => process.stderr.write(`  ${done}/${CALLS} calls, ${((performance.now() - started) / 1000).toFixed(0)} s\n`), 5_000);
    await pool(CALLS, CONCURRENCY, async (n) => {
      try {
        const result = await client.createPatient({ body: PATIENT(n) }, { businessKey: { mrn: mrn(n) } });
        const attempts = result.meta.attempts.map((a) => ({ status: a.status, errorKind: a.errorKind, outcome: a.outcome, reason: a.reason }));
        const key = result.meta.idempotencyKey;
        if (result.error === undefined) {
          calls[n] = { n, mrn: mrn(n), ok: true, key, id: result.data.id, identifierBack: result.data.identifier, attempts };
        } else {
          const kind = typeof (result.error as { kind?: unknown }).kind === "string" ? result.error.kind : "no-kind";
          calls[n] = { n, mrn: mrn(n), ok: false, kind, status: result.response?.status, key, attempts };
        }
      } catch {
        calls[n] = { n, mrn: mrn(n), ok: false, kind: "rejected", attempts: [] };
      }
      done++;
    });
    clearInterval(progress);
    const elapsedMs = performance.now() - started;

    // --- What the server saw and holds -------------------------------------------------
    const counters = (await (await fetch(`${url}/__carewire/counters`)).json()) as Counters;
    const { entries: log, missed: logMissed } = (await (await fetch(logUrl)).json()) as { entries: LogEntry[]; missed: number };
    await fetch(`${url}/__carewire/faults`, { method: "DELETE" }); // reading back must not be faulted
    const records = new Map<string, string[]>(); // MRN → ids stored
    for (let page = 1; ; page++) {
      const r = await fetch(`${url}/patients?pageSize=100&page=${page}`);
      if (!r.ok) throw new Error(`list page ${page}: ${r.status}`);
      const body = (await r.json()) as { data: Array<{ id: string; identifier: string }>; nextPage: number | null };
      for (const p of body.data) records.set(p.identifier, [...(records.get(p.identifier) ?? []), p.id]);
      if (body.nextPage === null) break;
    }
    const storedRecords = [...records.values()].reduce((s, ids) => s + ids.length, 0);

    // Server-side attempts per Idempotency-Key (createPatient only).
    const creates = log.filter((e) => e.operationId === "createPatient");
    const byKey = new Map<string, LogEntry[]>();
    for (const e of creates) if (e.idempotencyKey) byKey.set(e.idempotencyKey, [...(byKey.get(e.idempotencyKey) ?? []), e]);
    const faultsByKind: Record<string, number> = {};
    const faultLabel = (e: LogEntry) => (e.fault === "status" ? `status ${String(e.status)}` : (e.fault ?? "none"));
    for (const e of creates) if (e.fault && e.fault !== "none") faultsByKind[faultLabel(e)] = (faultsByKind[faultLabel(e)] ?? 0) + 1;
    const faultCount = Object.values(faultsByKind).reduce((a, b) => a + b, 0);

    // --- Checks per call / business key ------------------------------------------------
    const ok = calls.filter((c) => c.ok);
    const failed = calls.filter((c) => !c.ok);
    const failedByKind: Record<string, number> = {};
    for (const c of failed) {
      const label = c.kind === "http" ? `http ${String(c.status)}` : (c.kind ?? "?");
      failedByKind[label] = (failedByKind[label] ?? 0) + 1;
    }
    const untyped = failed.filter((c) => c.kind === "rejected" || c.kind === "no-kind" || c.kind === "unexpected");
    const duplicateKeys = [...records.entries()].filter(([, ids]) => ids.length > 1);
    const okMissing = ok.filter((c) => !records.has(c.mrn));
    const okWrongRecord = ok.filter((c) => records.has(c.mrn) && (c.identifierBack !== c.mrn || !records.get(c.mrn)!.includes(c.id ?? "")));
    const definiteFailureWithRecord = failed.filter((c) => c.kind !== "unknown-outcome" && records.has(c.mrn));
    const unknownWithoutRecord = failed.filter((c) => c.kind === "unknown-outcome" && !records.has(c.mrn)).length;
    const unknownWithRecord = failed.filter((c) => c.kind === "unknown-outcome" && records.has(c.mrn)).length;
    const callMrns = new Set(calls.map((c) => c.mrn));
    const strayRecords = [...records.keys()].filter((k) => !callMrns.has(k));

    const serverFaultsOf = (c: CallRecord) => (c.key ? (byKey.get(c.key) ?? []) : []).map(faultLabel);
    const mightHaveCommitted = (c: CallRecord) =>
      serverFaultsOf(c).includes("reset-after-commit") ||
      serverFaultsOf(c).includes("truncated-json") || c.attempts.some((a) => a.outcome === "unknown-outcome" || a.errorKind === "network" || a.errorKind === "timeout" || a.errorKind === "malformed-response");
    const failedMaybeCommitted = failed.filter(mightHaveCommitted);
    const notSticky = failedMaybeCommitted.filter((c) => c.kind !== "unknown-outcome");
    const notStickyKinds: Record<string, number> = {};
    for (const c of notSticky) {
      const label = c.kind === "http" ? `http ${String(c.status)}` : (c.kind ?? "?");
      notStickyKinds[label] = (notStickyKinds[label] ?? 0) + 1;
    }
    // Client attempts vs server log: every attempt the client made should be one server request.
    const clientAttempts = calls.reduce((s, c) => s + c.attempts.length, 0);
    const retries = clientAttempts - calls.length;
    const status429Client = calls.reduce((s, c) => s + c.attempts.filter((a) => a.status === 429).length, 0);
    const giveUpReasons: Record<string, number> = {};
    for (const c of failed) {
      const why = (c.attempts.at(-1)?.reason ?? "(none)").replace(/\d+ ms/g, "N ms").replace(/after \d+ attempts/, "after N attempts");
      const reason = why.includes(";") ? why.slice(why.indexOf(";") + 1).trim() : why;
      giveUpReasons[reason] = (giveUpReasons[reason] ?? 0) + 1;
    }
    const example = (c: CallRecord) => ({
      mrn: c.mrn,
      final: c.kind === "http" ? `http ${String(c.status)}` : c.kind,
      clientAttempts: c.attempts.map((a) => (a.status !== undefined && a.errorKind !== undefined ? `${a.status} (${a.errorKind})` : (a.status ?? a.errorKind ?? "?"))).join(" → "),
      serverFaults: serverFaultsOf(c).join(" → "),
      recordOnServer: records.has(c.mrn),
    });

    const lost = okMissing.length + definiteFailureWithRecord.length;
    const defects: string[] = [];
    if (counters.duplicates > 0 || duplicateKeys.length > 0) defects.push(`duplicates on the server: ${counters.duplicates} (counter), ${duplicateKeys.length} business keys stored twice`);
    if (okMissing.length > 0) defects.push(`${okMissing.length} calls ended ok but their record is missing`);
    if (okWrongRecord.length > 0) defects.push(`${okWrongRecord.length} ok calls returned a record that is not the stored one for their key`);
    if (definiteFailureWithRecord.length > 0) defects.push(`${definiteFailureWithRecord.length} calls reported a definite failure (not unknown-outcome) while their record exists on the server`);
    if (untyped.length > 0) defects.push(`${untyped.length} untyped failures`);
    if (notSticky.length > 0) defects.push(`${notSticky.length} failed calls whose write may have committed ended with another kind than unknown-outcome: ${JSON.stringify(notStickyKinds)}`);
    if (strayRecords.length > 0) defects.push(`${strayRecords.length} records on the server for business keys no call made`);
    if (logMissed > 0) defects.push(`bench: ${logMissed} log entries left the simulator's log before they were drained (server-side per-key checks incomplete)`);

    return {
      variant: variant.name,
      settings: variant.settings,
      results: {
        calls: CALLS,
        ok: ok.length,
        failed: failed.length,
        failedByKind,
        giveUpReasons,
        elapsedMs: Math.round(elapsedMs),
        callsPerSecond: Math.round((CALLS / elapsedMs) * 1000),
        requestsOnServer: creates.length,
        retries,
        status429: { server: counters.byStatus["429"] ?? 0, seenByClient: status429Client },
        faultsInjected: faultCount,
        faultRateInjectedPct: Math.round((1000 * faultCount) / Math.max(1, creates.length)) / 10,
        faultsByKind,
        writesCommittedOnServer: counters.writesCommitted,
        recordsOnServer: storedRecords,
        idempotentReplays: counters.idempotentReplays,
        duplicatesOnServer: counters.duplicates,
        businessKeysStoredTwice: duplicateKeys.length,
        lost,
        lostOkWithoutRecord: okMissing.length,
        lostDefiniteFailureWithRecord: definiteFailureWithRecord.length,
        okWithWrongRecord: okWrongRecord.length,
        untypedFailures: untyped.length,
        failedMaybeCommitted: failedMaybeCommitted.length,
        failedMaybeCommittedNotUnknownOutcome: notSticky.length,
        notStickyByFinalKind: notStickyKinds,
        unknownOutcomeWithRecord: unknownWithRecord,
        unknownOutcomeWithoutRecord: unknownWithoutRecord,
        strayRecords: strayRecords.length,
        clientAttemptsVsServerRequests: `${clientAttempts} / ${creates.length}`,
        logEntriesMissed: logMissed,
      },
      pass: defects.length === 0,
      defects,
      examples: {
        notSticky: notSticky.slice(0, 5).map(example),
        definiteFailureWithRecord: definiteFailureWithRecord.slice(0, 5).map(example),
        okWithoutRecord: okMissing.slice(0, 5).map(example),
        untyped: untyped.slice(0, 5).map(example),
      },
    };
  } finally {
    server.stop();
  }
}

const runs: Run[] = [];
for (const variant of VARIANTS) runs.push(await run(variant));
const report = {
  benchmark: "chaos: idempotent creates through the generated clinic client under injected faults",
  node: process.version,
  cpus: os.cpus().length,
  date: new Date().toISOString(),
  settings: {
    calls: CALLS,
    callersAtOnce: CONCURRENCY,
    client: {
      defaults: "maxAttempts 4, retry budget 20 % + 10/s over 10 s, breaker 50 % over 10 s (min 10), deadline 120 s, maxRetryAfterMs 120 s",
      idempotency: "businessKey { mrn } per call → one Idempotency-Key for every attempt",
    },
    simulator: { process: "own process (bench/chaos-sim-server.ts), fresh per run", auth: false, ...SIMULATOR },
  },
  runs,
  pass: runs.every((r) => r.pass),
};

const figure = (value: unknown) => (typeof value === "object" ? JSON.stringify(value) : String(value));
/** One figure of every run, side by side. */
const row = (label: string, of: (r: Record<string, unknown>) => unknown, target = "") => `| ${label} | ${runs.map((run) => figure(of(run.results))).join(" | ")} | ${target} |`;
const md = [
  "# Chaos benchmark",
  "",
  `node ${process.version}, ${os.cpus().length} CPUs, ${report.date.slice(0, 10)}. ${CALLS.toLocaleString("en")} createPatient calls through the generated clinic client (carewire from dist/), ${CONCURRENCY} callers at a time, each call with a businessKey (one Idempotency-Key for all its attempts), against the clinic simulator in its own process (a fresh one per client, same seed and faults).`,
  "",
  `Faults: ${Math.round(FAULT_RATE * 100)} % of createPatient requests (seeded, seed ${SEED}), equal weights: reset before the handler, reset after the commit, 503 + Retry-After: 1, 502, truncated JSON on the 201. No rate limit, no auth, and no example patients seeded (\`seedExamples: false\`): the store starts empty, so every record on it is a call's.`,
  ...runs.map((r) => `Client settings, ${r.variant}: ${r.settings}.`),
  "Everything else default in both: 4 attempts, retry budget 20 % + 10/s, breaker 50 % over 10 s, 120 s deadline.",
  "",
  `| figure | ${runs.map((r) => r.variant).join(" | ")} | must be |`,
  `|---|${runs.map(() => "---:|").join("")}---|`,
  row("calls", (r) => r.calls),
  row("ok", (r) => r.ok),
  row("failed", (r) => r.failed),
  row("failed by kind", (r) => r.failedByKind),
  row("why the failed calls stopped", (r) => r.giveUpReasons),
  row("requests on the server", (r) => r.requestsOnServer),
  row("retries", (r) => r.retries),
  row("429s (server / seen by client)", (r) => `${String((r.status429 as { server: number }).server)} / ${String((r.status429 as { seenByClient: number }).seenByClient)}`),
  row("faults injected", (r) => `${String(r.faultsInjected)} (${String(r.faultRateInjectedPct)} % of requests)`, "≥ 20 %"),
  row("faults by kind", (r) => r.faultsByKind),
  row("writes committed on the server", (r) => r.writesCommittedOnServer),
  row("records on the server", (r) => r.recordsOnServer),
  row("duplicates on the server", (r) => `${String(r.duplicatesOnServer)} (keys stored twice: ${String(r.businessKeysStoredTwice)})`, "0"),
  row("lost", (r) => `${String(r.lost)} (ok without record ${String(r.lostOkWithoutRecord)}, definite failure with record ${String(r.lostDefiniteFailureWithRecord)})`, "0"),
  row("ok calls returning another record", (r) => r.okWithWrongRecord, "0"),
  row("untyped failures", (r) => r.untypedFailures, "0"),
  row("failed calls whose write may have committed", (r) => r.failedMaybeCommitted),
  row("… of them not unknown-outcome", (r) => `${String(r.failedMaybeCommittedNotUnknownOutcome)} ${JSON.stringify(r.notStickyByFinalKind)}`, "0"),
  row("unknown-outcome with / without a record", (r) => `${String(r.unknownOutcomeWithRecord)} / ${String(r.unknownOutcomeWithoutRecord)}`),
  row("elapsed", (r) => `${((r.elapsedMs as number) / 1000).toFixed(1)} s (${String(r.callsPerSecond)} calls/s)`, "well under 120 s"),
  "",
  ...runs.flatMap((r) =>
    r.pass
      ? [`**${r.variant}: pass** (no duplicate, nothing lost, every failure typed, unknown-outcome sticky).`, ""]
      : [
          `**${r.variant}: FAIL**`,
          "",
          ...r.defects.map((d) => `- ${d}`),
          "",
          "Examples (client attempts: status or error kind; server faults: what the simulator injected per attempt, same key):",
          "",
          "```json",
          JSON.stringify(r.examples, null, 2),
          "```",
          "",
        ],
  ),
];
if (CALLS >= 10_000) {
  await mkdir(path.join(here, "results"), { recursive: true });
  await writeFile(path.join(here, "results/chaos.json"), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(here, "results/chaos.md"), md.join("\n"));
}
process.stdout.write(md.join("\n"));
