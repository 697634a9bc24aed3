/**
 * One contract, both durable outbox stores: SQLite in a file and a real PostgreSQL. Each
 * test gets empty tables (a new file, a new schema); `another()` is a second instance of
 * the app on the same data. Times are explicit epoch ms: nothing here reads the clock.
 */
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { OutboxInputError, OutboxStoreError } from "../../src/outbox/errors.js";
import type { Claim, DeadReason, DeliveryRecord, NewIntent, OutboxStore } from "../../src/outbox/outbox-store.js";
import { postgresOutboxStore } from "../../src/outbox/postgres-outbox-store.js";
import { sqliteOutboxStore } from "../../src/outbox/sqlite-outbox-store.js";
import { memoryOutboxStore } from "../../src/outbox/memory-outbox-store.js";
import { postgresForFile } from "../helpers/postgres-for-file.js";

const T0 = 1_800_000_000_000;
const LEASE = 30_000;
const postgres = postgresForFile("contract");
const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-outbox-contract-"));
let files = 0;
const opened: OutboxStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A store on empty tables, and a way to open another instance on the same data. */
type Fleet = { store: OutboxStore; another: () => OutboxStore };

function keep(store: OutboxStore): OutboxStore {
  opened.push(store);
  return store;
}

const backends = [
  [
    "memory",
    (): Fleet => {
      // One process's store: "another instance" is the same object (nothing is shared across processes).
      const store = keep(memoryOutboxStore());
      return { store, another: () => store };
    },
  ],
  [
    "sqlite",
    (): Fleet => {
      const file = path.join(dir, `outbox-${++files}.db`);
      const open = () => keep(sqliteOutboxStore({ path: file }));
      return { store: open(), another: open };
    },
  ],
  [
    "postgres",
    (): Fleet => {
      const schema = postgres.schema();
      const open = () => keep(postgresOutboxStore({ connectionString: postgres.url }, { schema }));
      return { store: open(), another: open };
    },
  ],
] as const;

let ids = 0;
function intent(overrides: Partial<NewIntent> = {}): NewIntent {
  const n = ++ids;
  return { id: `id-${n}`, operation: "createAppointment", input: { patient: `p-${n}`, slot: n }, idempotencyKey: `key-${n}`, notBefore: T0, ...overrides };
}
const record = (disposition: DeliveryRecord["disposition"], at: number, extra: Partial<DeliveryRecord> = {}): DeliveryRecord => ({ at, worker: "w1", disposition, ...extra });
const deadReason: DeadReason = { reason: "permanent", errorKind: "http-422", message: "the slot is taken", status: 422, body: { issue: [{ diagnostics: "Slot 12 for Jane Roe is taken" }] } };

describe.each(backends)("%s outbox store", (backend, make) => {
  /** Adds intents at T0 and claims them all at `at`. */
  async function addAndClaim(store: OutboxStore, intents: NewIntent[], at = T0): Promise<Claim[]> {
    await store.add(intents, T0);
    return [...(await store.claim("w1", intents.length, LEASE, at))];
  }

  it("records intents and gives back the existing id for a key it already has", async () => {
    const { store } = make();
    expect(store.backend).toBe(backend);
    const a = intent({ tenant: "clinic-a", codeVersion: "1.2.3" });
    const b = intent();
    expect(await store.add([a, b], T0)).toEqual([
      { id: a.id, added: true },
      { id: b.id, added: true },
    ]);
    expect(await store.add([intent({ idempotencyKey: a.idempotencyKey }), intent()], T0 + 1)).toEqual([{ id: a.id, added: false }, expect.objectContaining({ added: true })]);
    const [got] = await store.get([a.id]);
    expect(got).toEqual({ ...a, status: "pending", createdAt: T0, updatedAt: T0, deliveries: 0, history: [] });
  });

  it("adds one intent per key within one batch and across concurrent batches", async () => {
    const { store } = make();
    const first = intent();
    const twin = intent({ idempotencyKey: first.idempotencyKey });
    expect(await store.add([first, twin], T0)).toEqual([
      { id: first.id, added: true },
      { id: first.id, added: false },
    ]);
    // Many callers at once, half of them with keys another caller uses: one intent per key.
    const batches = Array.from({ length: 40 }, (_, i) => [intent({ idempotencyKey: `shared-${i % 20}` })]);
    const results = (await Promise.all(batches.map((batch) => store.add(batch, T0)))).flat();
    expect(results.filter((r) => r.added)).toHaveLength(20);
    for (let i = 0; i < 20; i++) expect(results[i + 20]!.id).toBe(results[i]!.id);
    expect((await store.counts(T0)).pending).toBe(21);
  });

  it("refuses a key that is already a dead letter, and keeps it once revived", async () => {
    const { store } = make();
    const a = intent();
    const [claim] = await addAndClaim(store, [a]);
    expect(await store.bury(claim!, deadReason, record("dead", T0 + 1), T0 + 1)).toBe(true);
    expect(await store.add([intent({ idempotencyKey: a.idempotencyKey })], T0 + 2)).toEqual([{ id: a.id, added: false }]);
    expect(await store.revive({ ids: [a.id] }, T0 + 3)).toBe(1);
    expect(await store.add([intent({ idempotencyKey: a.idempotencyKey })], T0 + 4)).toEqual([{ id: a.id, added: false }]);
    expect((await store.counts(T0 + 4)).pending).toBe(1);
  });

  it("claims due intents only, oldest notBefore first, at most `limit`", async () => {
    const { store } = make();
    const late = intent({ notBefore: T0 + 30 });
    const middle = intent({ notBefore: T0 + 20 });
    const early = intent({ notBefore: T0 + 10 });
    await store.add([late, middle, early], T0);
    expect(await store.claim("w1", 10, LEASE, T0 + 5)).toEqual([]);
    const one = await store.claim("w1", 1, LEASE, T0 + 25);
    expect(one.map((c) => c.intent.id)).toEqual([early.id]);
    expect(one[0]!.intent).toMatchObject({ status: "pending", deliveries: 1, leaseUntil: T0 + 25 + LEASE, input: early.input });
    expect((await store.claim("w1", 10, LEASE, T0 + 25)).map((c) => c.intent.id)).toEqual([middle.id]);
    expect((await store.claim("w1", 10, LEASE, T0 + 30)).map((c) => c.intent.id)).toEqual([late.id]);
  });

  it("leases a claim away from every other claimer until the lease ends, then counts another delivery", async () => {
    const { store, another } = make();
    const a = intent();
    const [first] = await addAndClaim(store, [a]);
    expect(await another().claim("w2", 10, LEASE, T0 + LEASE - 1)).toEqual([]);
    const [second] = await another().claim("w2", 10, LEASE, T0 + LEASE);
    expect(second!.intent).toMatchObject({ id: a.id, deliveries: 2 });
    expect(second!.lease).not.toBe(first!.lease);
  });

  it("renews a lease still held, and not one that was lost", async () => {
    const { store } = make();
    const [claim] = await addAndClaim(store, [intent()]);
    expect(await store.renew(claim!, LEASE, T0 + LEASE - 1)).toBe(true);
    expect(await store.claim("w2", 10, LEASE, T0 + LEASE + 1)).toEqual([]);
    const [taken] = await store.claim("w2", 10, LEASE, T0 + 2 * LEASE);
    expect(taken).toBeDefined();
    expect(await store.renew(claim!, LEASE, T0 + 2 * LEASE)).toBe(false);
  });

  it("names the worker holding a lease, and ends every lease of one worker at once (a restarted worker of the same id)", async () => {
    const { store, another } = make();
    await store.add([intent(), intent(), intent()], T0);
    const mine = await store.claim("pod-1", 2, LEASE, T0);
    const [theirs] = await another().claim("pod-10", 1, LEASE, T0);
    expect((await store.get([mine[0]!.intent.id]))[0]!.leasedBy).toBe("pod-1");
    expect((await store.list({ status: "pending" })).map((s) => s.leasedBy).sort()).toEqual(["pod-1", "pod-1", "pod-10"]);
    // "pod-1" restarts: its two intents are due at once; "pod-10" (a prefix match away) keeps its own.
    expect(await store.release("pod-1", T0 + 5)).toBe(2);
    expect(await store.counts(T0 + 5)).toMatchObject({ due: 2, leased: 1 });
    expect((await store.get([mine[0]!.intent.id]))[0]!.leasedBy).toBeUndefined();
    // The crashed incarnation's late settle is refused; the restarted one claims and settles.
    expect(await store.commit(mine[0]!, record("committed", T0 + 6), T0 + 6)).toBe(false);
    const again = await store.claim("pod-1", 10, LEASE, T0 + 7);
    expect(again.map((c) => c.intent.id).sort()).toEqual(mine.map((c) => c.intent.id).sort());
    expect(again[0]!.intent.deliveries).toBe(2);
    expect(await store.commit(theirs!, record("committed", T0 + 8), T0 + 8)).toBe(true);
    expect(await store.release("nobody", T0 + 9)).toBe(0);
    await expect(store.release("a/b", T0)).rejects.toBeInstanceOf(OutboxInputError);
  });

  it("never gives one intent to two claimers at once", async () => {
    const { store, another } = make();
    const total = 600;
    for (let i = 0; i < total; i += 200) await store.add(Array.from({ length: 200 }, () => intent()), T0);
    const claimers = [store, another(), another()];
    const claimed: string[][] = await Promise.all(
      claimers.map(async (claimer, worker) => {
        const mine: string[] = [];
        for (;;) {
          const claims = await claimer.claim(`w${worker}`, 7, LEASE, T0);
          if (claims.length === 0) return mine;
          mine.push(...claims.map((c) => c.intent.id));
        }
      }),
    );
    const all = claimed.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(await store.counts(T0)).toMatchObject({ pending: total, leased: total, due: 0 });
  });

  it("refuses every settlement under a lease that ended and was claimed again, and changes nothing", async () => {
    const { store } = make();
    const a = intent();
    const [stale] = await addAndClaim(store, [a]);
    const [current] = await store.claim("w2", 1, LEASE, T0 + LEASE);
    expect(await store.commit(stale!, record("committed", T0 + LEASE + 1), T0 + LEASE + 1)).toBe(false);
    expect(await store.defer(stale!, T0 + 99_999, record("deferred", T0 + LEASE + 1), T0 + LEASE + 1)).toBe(false);
    expect(await store.bury(stale!, deadReason, record("dead", T0 + LEASE + 1), T0 + LEASE + 1)).toBe(false);
    const [unchanged] = await store.get([a.id]);
    expect(unchanged).toMatchObject({ status: "pending", deliveries: 2, history: [], notBefore: T0, leaseUntil: T0 + 2 * LEASE, updatedAt: T0 + LEASE });
    expect(await store.commit(current!, record("committed", T0 + LEASE + 2), T0 + LEASE + 2)).toBe(true);
    // The lease ends with the settlement: it cannot settle twice.
    expect(await store.commit(current!, record("committed", T0 + LEASE + 3), T0 + LEASE + 3)).toBe(false);
  });

  it("commits, defers and buries with a delivery record each, and counts them", async () => {
    const { store } = make();
    const [toCommit, toDefer, toBury] = await addAndClaim(store, [intent({ notBefore: T0 }), intent({ notBefore: T0 + 1 }), intent({ notBefore: T0 + 2 })], T0 + 10);
    const committed = record("committed", T0 + 11, { status: 201, meta: { attempts: 1, requestId: "r-1" } });
    const deferred = record("deferred", T0 + 12, { status: 503, errorKind: "http-503", reason: "provider unavailable" });
    const buried = record("dead", T0 + 13, { status: 422, errorKind: "http-422", reason: "refused" });
    expect(await store.commit(toCommit!, committed, T0 + 11)).toBe(true);
    expect(await store.defer(toDefer!, T0 + 5_000, deferred, T0 + 12)).toBe(true);
    expect(await store.bury(toBury!, deadReason, buried, T0 + 13)).toBe(true);

    const [c, d, b] = await store.get([toCommit!.intent.id, toDefer!.intent.id, toBury!.intent.id]);
    expect(c).toMatchObject({ status: "committed", committedAt: T0 + 11, updatedAt: T0 + 11, history: [committed], deliveries: 1 });
    expect(c!.leaseUntil).toBeUndefined();
    expect(d).toMatchObject({ status: "pending", notBefore: T0 + 5_000, updatedAt: T0 + 12, history: [deferred] });
    expect(d!.leaseUntil).toBeUndefined();
    expect(b).toEqual({ ...toBury!.intent, status: "dead", updatedAt: T0 + 13, history: [buried], dead: deadReason, leaseUntil: undefined, leasedBy: undefined });
    expect(await store.counts(T0 + 100)).toEqual({ pending: 1, due: 0, leased: 0, committed: 1, dead: 1, oldestPendingAt: T0 });
    expect(await store.counts(T0 + 5_000)).toMatchObject({ due: 1 });
    expect((await store.claim("w1", 10, LEASE, T0 + 5_000)).map((x) => x.intent.id)).toEqual([toDefer!.intent.id]);
  });

  it("keeps the latest hundred delivery records of an intent deferred again and again", async () => {
    const { store } = make();
    const a = intent();
    await store.add([a], T0);
    for (let i = 1; i <= 105; i++) {
      const [claim] = await store.claim("w1", 1, LEASE, T0 + i);
      expect(await store.defer(claim!, T0 + i, record("deferred", T0 + i, { reason: `try ${i}` }), T0 + i)).toBe(true);
    }
    const [got] = await store.get([a.id]);
    expect(got!.deliveries).toBe(105);
    expect(got!.history).toHaveLength(100);
    expect(got!.history[0]!.reason).toBe("try 6");
    expect(got!.history[99]!.reason).toBe("try 105");
  });

  it("counts pending, due and leased intents, and when the oldest pending one was added", async () => {
    const { store } = make();
    expect(await store.counts(T0)).toEqual({ pending: 0, due: 0, leased: 0, committed: 0, dead: 0 });
    await store.add([intent({ notBefore: T0 })], T0 + 7);
    await store.add([intent({ notBefore: T0 }), intent({ notBefore: T0 + 1_000 })], T0 + 9);
    await store.claim("w1", 1, LEASE, T0 + 10);
    expect(await store.counts(T0 + 10)).toEqual({ pending: 3, due: 1, leased: 1, committed: 0, dead: 0, oldestPendingAt: T0 + 7 });
    expect(await store.counts(T0 + 10 + LEASE)).toMatchObject({ due: 3, leased: 0 });
  });

  it("lists without bodies unless asked, filtered by status, time and tenant, up to a limit", async () => {
    const { store } = make();
    const a = intent({ tenant: "clinic-a" });
    const b = intent({ tenant: "clinic-b" });
    const c = intent({ tenant: "clinic-a" });
    await store.add([a, b], T0);
    await store.add([c], T0 + 50);
    const [claim] = await store.claim("w1", 1, LEASE, T0 + 100);
    expect(claim!.intent.id).toBe(a.id);
    await store.bury(claim!, deadReason, record("dead", T0 + 100), T0 + 100);

    const all = await store.list({});
    expect(all.map((s) => s.id)).toEqual([b.id, c.id, a.id]);
    for (const summary of all) expect(summary).not.toHaveProperty("input");
    const dead = all[2]!;
    expect(dead.status).toBe("dead");
    expect(dead.dead).toEqual({ reason: "permanent", errorKind: "http-422", message: "the slot is taken", status: 422 });
    expect(dead.dead).not.toHaveProperty("body");

    const withBodies = await store.list({ status: "dead", withBodies: true });
    expect(withBodies).toHaveLength(1);
    expect(withBodies[0]).toMatchObject({ id: a.id, input: a.input, dead: deadReason });

    expect((await store.list({ status: "pending" })).map((s) => s.id)).toEqual([b.id, c.id]);
    expect((await store.list({ status: "committed" })).map((s) => s.id)).toEqual([]);
    expect((await store.list({ since: T0 + 50 })).map((s) => s.id)).toEqual([c.id, a.id]);
    expect((await store.list({ tenant: "clinic-a" })).map((s) => s.id)).toEqual([c.id, a.id]);
    expect((await store.list({ tenant: "clinic-a", status: "pending" })).map((s) => s.id)).toEqual([c.id]);
    expect((await store.list({ limit: 2 })).map((s) => s.id)).toEqual([b.id, c.id]);
    expect((await store.list({ limit: 1_000_000 })).length).toBe(3);
  });

  it("gets full records by id, leaving unknown ids out", async () => {
    const { store } = make();
    const a = intent({ input: "just a string" });
    const b = intent({ input: null });
    await store.add([a, b], T0);
    const got = await store.get([b.id, "nobody", a.id]);
    expect(got.map((r) => [r.id, r.input])).toEqual([
      [b.id, null],
      [a.id, "just a string"],
    ]);
    expect(await store.get([])).toEqual([]);
  });

  it("revives dead letters by id or by when they were buried: due at once, same key, same body", async () => {
    const { store } = make();
    const intents = [intent(), intent(), intent()];
    const claims = await addAndClaim(store, intents);
    for (const [i, claim] of claims.entries()) await store.bury(claim, deadReason, record("dead", T0 + 10 * (i + 1)), T0 + 10 * (i + 1));
    expect(await store.revive({ ids: [intents[0]!.id, "nobody"] }, T0 + 100)).toBe(1);
    expect(await store.revive({ deadSince: T0 + 25 }, T0 + 200)).toBe(1);
    expect(await store.counts(T0 + 200)).toMatchObject({ pending: 2, due: 2, dead: 1 });
    const [revived] = await store.get([intents[0]!.id]);
    expect(revived).toMatchObject({ status: "pending", idempotencyKey: intents[0]!.idempotencyKey, input: intents[0]!.input, notBefore: T0 + 100, updatedAt: T0 + 100, deliveries: 0 });
    expect(revived!.dead).toBeUndefined();
    expect(revived!.history).toHaveLength(1);
    const due = await store.claim("w1", 10, LEASE, T0 + 200);
    expect(due.map((c) => c.intent.id)).toEqual([intents[0]!.id, intents[2]!.id]);
    expect(await store.revive({ deadSince: T0 }, T0 + 300)).toBe(1);
  });

  it("purges committed intents (and dead letters when asked) last updated before a time", async () => {
    const { store } = make();
    const claims = await addAndClaim(store, [intent(), intent(), intent(), intent()]);
    await store.commit(claims[0]!, record("committed", T0 + 1), T0 + 1);
    await store.commit(claims[1]!, record("committed", T0 + 5), T0 + 5);
    await store.bury(claims[2]!, deadReason, record("dead", T0 + 1), T0 + 1);
    expect(await store.purge({ before: T0 + 5 })).toBe(1);
    expect(await store.counts(T0 + 10)).toMatchObject({ committed: 1, dead: 1, pending: 1 });
    expect(await store.purge({ before: T0 + 6, dead: true })).toBe(2);
    expect(await store.counts(T0 + 10)).toMatchObject({ committed: 0, dead: 0, pending: 1 });
  });

  // Only a durable store outlives its own close.
  if (backend !== "memory")
    it("keeps everything across a close and a new store on the same data", async () => {
    const { store, another } = make();
    const a = intent();
    const b = intent();
    const [claim] = await addAndClaim(store, [a]);
    await store.add([b], T0);
    await store.bury(claim!, deadReason, record("dead", T0 + 1), T0 + 1);
    await store.close();
    const reopened = another();
    expect((await reopened.get([a.id, b.id])).map((r) => [r.id, r.status])).toEqual([
      [a.id, "dead"],
      [b.id, "pending"],
    ]);
    expect(await reopened.add([intent({ idempotencyKey: a.idempotencyKey })], T0 + 2)).toEqual([{ id: a.id, added: false }]);
  });

  it("refuses bad input with OutboxInputError and any call on a closed store with OutboxStoreError", async () => {
    const { store } = make();
    await expect(store.add([intent({ input: { when: () => 1 } as never })], T0)).rejects.toBeInstanceOf(OutboxInputError);
    await expect(store.add([intent({ input: undefined as never })], T0)).rejects.toBeInstanceOf(OutboxInputError);
    await expect(store.add([intent({ idempotencyKey: "" })], T0)).rejects.toBeInstanceOf(OutboxInputError);
    await expect(store.add([intent()], Number.NaN)).rejects.toBeInstanceOf(OutboxInputError);
    await expect(store.claim("w1", 0, LEASE, T0)).rejects.toBeInstanceOf(OutboxInputError);
    await expect(store.claim("w1", 1, -5, T0)).rejects.toBeInstanceOf(OutboxInputError);
    await expect(store.list({ status: "gone" as never })).rejects.toBeInstanceOf(OutboxInputError);
    expect(await store.counts(T0)).toMatchObject({ pending: 0 });
    // Two intents with one id and different keys: the database refuses the second, as the store's error.
    await store.add([intent({ id: "same-id" })], T0);
    await expect(store.add([intent({ id: "same-id" })], T0)).rejects.toBeInstanceOf(OutboxStoreError);

    const [claim] = await store.claim("w1", 1, LEASE, T0);
    await store.close();
    await store.close();
    await expect(store.add([intent()], T0)).rejects.toBeInstanceOf(OutboxStoreError);
    await expect(store.claim("w1", 1, LEASE, T0)).rejects.toBeInstanceOf(OutboxStoreError);
    await expect(store.commit(claim!, record("committed", T0), T0)).rejects.toBeInstanceOf(OutboxStoreError);
    await expect(store.counts(T0)).rejects.toBeInstanceOf(OutboxStoreError);
  });
});
