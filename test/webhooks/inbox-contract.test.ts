/**
 * One contract, every webhook inbox: memory, SQLite in a file, a real PostgreSQL, a real
 * redis-server and a real three-node Redis Cluster. `another()` is a second instance of the
 * app on the same data (a new connection; the memory inbox has only the one). Times are
 * explicit epoch ms.
 */
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WebhookInboxError } from "../../src/webhooks/errors.js";
import type { InboxEntry, WebhookInbox } from "../../src/webhooks/inbox.js";
import { memoryInbox } from "../../src/webhooks/memory-inbox.js";
import { postgresInbox } from "../../src/webhooks/postgres-inbox.js";
import { redisInbox } from "../../src/webhooks/redis-inbox.js";
import { sqliteInbox } from "../../src/webhooks/sqlite-inbox.js";
import { postgresForFile } from "../helpers/postgres-for-file.js";
import { redisClusterForFile, redisForFile } from "../helpers/redis-for-file.js";

const T0 = 1_800_000_000_000;
const LEASE = 30_000;
const postgres = postgresForFile("inbox");
const redis = redisForFile("inbox");
const cluster = redisClusterForFile("inbox");
const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-inbox-contract-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
/** Every inbox a test opened (a closed one closes again as a no-op). */
const opened: WebhookInbox[] = [];
afterEach(() => Promise.all(opened.splice(0).map((inbox) => inbox.close())));

const keep = (inbox: WebhookInbox) => (opened.push(inbox), inbox);
type Fleet = { inbox: WebhookInbox; another: () => WebhookInbox };

const backends = [
  ["memory", (): Fleet => {
    const inbox = keep(memoryInbox());
    return { inbox, another: () => inbox };
  }],
  ["sqlite", (): Fleet => {
    const file = path.join(dir, `inbox-${++files}.db`);
    const open = () => keep(sqliteInbox({ path: file }));
    return { inbox: open(), another: open };
  }],
  ["postgres", (): Fleet => {
    const schema = postgres.schema();
    const open = () => keep(postgresInbox({ connection: { connectionString: postgres.url }, schema }));
    return { inbox: open(), another: open };
  }],
  ["redis", (): Fleet => {
    const prefix = redis.prefix();
    const open = () => keep(redisInbox({ url: redis.url, prefix }));
    return { inbox: open(), another: open };
  }],
  ["redis-cluster", (): Fleet => {
    const prefix = cluster.prefix();
    const open = () => keep(redisInbox({ cluster: cluster.nodes, prefix }));
    return { inbox: open(), another: open };
  }],
] as const;

let n = 0;
const entry = (overrides: Partial<InboxEntry> = {}): InboxEntry => ({ id: `msg_${++n}`, type: "patient.updated", timestamp: 1_800_000_000, raw: `{"id":"pat-${n}"}`, ...overrides });

describe.each(backends)("%s webhook inbox", (backend, make) => {
  /** Two instances on one inbox, and an event accepted at T0 that the first has claimed for one lease (as "w1"). */
  async function claimedByTheFirst() {
    const { inbox, another } = make();
    const second = another();
    const event = entry();
    await inbox.accept(event, T0);
    const [claim] = await inbox.claim("w1", 1, LEASE, T0);
    return { inbox, second, event, claim: claim! };
  }

  it("records an event once by its id, on any instance, and says which accept was new", async () => {
    const { inbox, another } = make();
    // A cluster is Redis all the same.
    expect(inbox.backend).toBe(backend === "redis-cluster" ? "redis" : backend);
    const event = entry();
    expect(await inbox.accept(event, T0)).toBe(true);
    expect(await inbox.accept(event, T0 + 1)).toBe(false);
    expect(await another().accept({ ...event, raw: "{}" }, T0 + 2)).toBe(false);
    expect(await inbox.counts()).toEqual({ pending: 1, handled: 0, dead: 0 });
    const [listed] = await inbox.list({ status: "pending" });
    expect(listed).toMatchObject({ id: event.id, type: "patient.updated", timestamp: 1_800_000_000, raw: event.raw, status: "pending", receivedAt: T0, attempts: 0 });
  });

  it("hands 200 events to two instances claiming at once in disjoint sets, each event once", async () => {
    const { inbox, another } = make();
    const second = another();
    const ids = Array.from({ length: 200 }, () => entry());
    await Promise.all(ids.map((e) => inbox.accept(e, T0)));
    const claimed: Array<Set<string>> = [new Set(), new Set()];
    const drain = async (from: WebhookInbox, into: Set<string>, worker: string) => {
      for (;;) {
        const claims = await from.claim(worker, 7, LEASE, T0 + 1);
        if (claims.length === 0) return;
        for (const claim of claims) {
          expect(into.has(claim.record.id)).toBe(false);
          into.add(claim.record.id);
        }
      }
    };
    await Promise.all([drain(inbox, claimed[0]!, "w1"), drain(second, claimed[1]!, "w2")]);
    const [a, b] = claimed as [Set<string>, Set<string>];
    expect([...a].filter((id) => b.has(id))).toEqual([]);
    expect(a.size + b.size).toBe(200);
    expect(new Set([...a, ...b])).toEqual(new Set(ids.map((e) => e.id)));
  });

  it("accepts concurrent duplicates of one id as exactly one new event", async () => {
    const { inbox, another } = make();
    const event = entry();
    const second = another();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? inbox : second).accept(event, T0)));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it("hands each pending event to one claimer with a lease, oldest first, and none before it is due", async () => {
    const { inbox, another } = make();
    const a = entry();
    const b = entry();
    await inbox.accept(a, T0);
    await inbox.accept(b, T0 + 10);
    expect(await inbox.claim("w1", 10, LEASE, T0 - 1)).toHaveLength(0);
    const first = await inbox.claim("w1", 1, LEASE, T0 + 10);
    const second = await another().claim("w2", 10, LEASE, T0 + 10);
    expect(first.map((c) => c.record.id)).toEqual([a.id]);
    expect(second.map((c) => c.record.id)).toEqual([b.id]);
    expect(first[0]!.record.attempts).toBe(1);
    expect(await inbox.claim("w3", 10, LEASE, T0 + 20)).toHaveLength(0);
  });

  it("marks a handled event, drops its body, refuses a settle under a lost lease, and keeps its id against duplicates", async () => {
    const { inbox } = make();
    const event = entry();
    await inbox.accept(event, T0);
    const [stale] = await inbox.claim("w1", 1, LEASE, T0);
    const [fresh] = await inbox.claim("w2", 1, LEASE, T0 + LEASE);
    expect(fresh!.record.attempts).toBe(2);
    expect(await inbox.settle(stale!, { status: "handled" }, T0 + LEASE + 1)).toBe(false);
    expect(await inbox.settle(fresh!, { status: "handled" }, T0 + LEASE + 1)).toBe(true);
    expect(await inbox.settle(fresh!, { status: "handled" }, T0 + LEASE + 2)).toBe(false);
    expect(await inbox.accept(event, T0 + LEASE + 3)).toBe(false);
    const [handled] = await inbox.list({ status: "handled" });
    expect(handled).toMatchObject({ id: event.id, status: "handled", raw: "" });
    expect(await inbox.claim("w1", 10, LEASE, T0 + 10 * LEASE)).toHaveLength(0);
  });

  it("moves a held lease's end on (no other instance takes the event meanwhile), and refuses once the lease is lost or settled", async () => {
    const { inbox, second, event, claim: held } = await claimedByTheFirst();
    expect(await inbox.extend(held, LEASE, T0 + LEASE / 2)).toBe(true);
    // Past the first lease end, inside the moved one: nobody else gets it.
    expect(await second.claim("w2", 10, LEASE, T0 + LEASE)).toHaveLength(0);
    expect(await inbox.extend(held, LEASE, T0 + LEASE)).toBe(true);
    expect(await second.claim("w2", 10, LEASE, T0 + 2 * LEASE - 1)).toHaveLength(0);
    // Not moved again: it runs out, another instance takes it, and the old lease is lost.
    const [taken] = await second.claim("w2", 10, LEASE, T0 + 2 * LEASE);
    expect(taken!.record.id).toBe(event.id);
    expect(await inbox.extend(held, LEASE, T0 + 2 * LEASE + 1)).toBe(false);
    expect(await second.settle(taken!, { status: "handled" }, T0 + 2 * LEASE + 2)).toBe(true);
    expect(await second.extend(taken!, LEASE, T0 + 2 * LEASE + 3)).toBe(false);
  });

  it("renews a lease that ran out while nobody took the event (a claim that only looked at it), and keeps it from others again", async () => {
    const { inbox, second, claim: mine } = await claimedByTheFirst();
    const older = entry();
    // Recorded as due just before ours: a claim of one event takes it first.
    await inbox.accept(older, T0 - 1);
    // Past the lease end another instance claims one event: the older one, not ours.
    const [taken] = await second.claim("w2", 1, LEASE, T0 + LEASE + 1);
    expect(taken!.record.id).toBe(older.id);
    expect(await inbox.extend(mine, LEASE, T0 + LEASE + 2)).toBe(true);
    expect(await second.claim("w2", 10, LEASE, T0 + LEASE + 3)).toHaveLength(0);
    expect(await inbox.settle(mine, { status: "handled" }, T0 + LEASE + 4)).toBe(true);
  });

  it("ends a lease extended by 0 ms (a claim given back unstarted): another instance takes the event at that moment, and the old lease settles nothing", async () => {
    const { inbox, second, event, claim: given } = await claimedByTheFirst();
    expect(await inbox.extend(given, 0, T0 + 5)).toBe(true);
    const [taken] = await second.claim("w2", 10, LEASE, T0 + 5);
    expect(taken!.record).toMatchObject({ id: event.id, attempts: 2 });
    expect(await inbox.settle(given, { status: "handled" }, T0 + 6)).toBe(false);
    expect(await second.settle(taken!, { status: "handled" }, T0 + 7)).toBe(true);
  });

  it("takes a claim given back unstarted without counting its attempt: any instance claims the event at once, and the old lease settles nothing", async () => {
    const { inbox, another } = make();
    const second = another();
    const event = entry();
    await inbox.accept(event, T0);
    // Given back again and again (an instance stopping as events come in): never nearer its dead letter.
    for (let round = 0; round < 3; round++) {
      const [given] = await inbox.claim("w1", 1, LEASE, T0 + round * 10);
      expect(given!.record.attempts).toBe(1);
      expect(await inbox.giveBack!(given!, T0 + round * 10 + 5)).toBe(true);
      expect(await inbox.settle(given!, { status: "handled" }, T0 + round * 10 + 6)).toBe(false);
      expect(await inbox.giveBack!(given!, T0 + round * 10 + 7)).toBe(false);
    }
    const [taken] = await second.claim("w2", 10, LEASE, T0 + 40);
    expect(taken!.record).toMatchObject({ id: event.id, attempts: 1 });
    expect(await second.settle(taken!, { status: "handled" }, T0 + 41)).toBe(true);
  });

  it("retries an event after its backoff with the error kept, and parks a dead one until it is revived", async () => {
    const { inbox } = make();
    const event = entry();
    await inbox.accept(event, T0);
    const [claim] = await inbox.claim("w1", 1, LEASE, T0);
    expect(await inbox.settle(claim!, { status: "retry", notBefore: T0 + 5_000, error: "handler-error: boom" }, T0 + 1)).toBe(true);
    expect(await inbox.claim("w1", 1, LEASE, T0 + 4_999)).toHaveLength(0);
    const [again] = await inbox.claim("w1", 1, LEASE, T0 + 5_000);
    expect(again!.record).toMatchObject({ attempts: 2, lastError: "handler-error: boom" });
    expect(await inbox.settle(again!, { status: "dead", error: "handler-error: still" }, T0 + 5_001)).toBe(true);
    expect(await inbox.counts()).toEqual({ pending: 0, handled: 0, dead: 1 });
    const [dead] = await inbox.list({ status: "dead" });
    expect(dead).toMatchObject({ id: event.id, lastError: "handler-error: still", raw: event.raw });
    expect(await inbox.claim("w1", 1, LEASE, T0 + 100_000)).toHaveLength(0);
    expect(await inbox.revive([event.id, "msg_unknown"], T0 + 6_000)).toBe(1);
    const [revived] = await inbox.claim("w1", 1, LEASE, T0 + 6_000);
    expect(revived!.record).toMatchObject({ id: event.id, attempts: 1, raw: event.raw });
  });

  it("gives a stopped worker's leases back at once on release, and nobody else's", async () => {
    const { inbox } = make();
    await inbox.accept(entry(), T0);
    await inbox.accept(entry(), T0);
    await inbox.claim("w1", 1, LEASE, T0);
    await inbox.claim("w10", 1, LEASE, T0);
    expect(await inbox.release("w1", T0 + 1)).toBe(1);
    expect(await inbox.claim("w2", 10, LEASE, T0 + 1)).toHaveLength(1);
  });

  it("keeps pending events for a new instance (a restart) and takes back a crashed worker's once its lease ends", async () => {
    const { inbox, another } = make();
    const event = entry();
    await inbox.accept(event, T0);
    await inbox.accept(entry(), T0);
    await inbox.claim("crashed", 1, LEASE, T0);
    const restarted = another();
    expect((await restarted.claim("w2", 10, LEASE, T0 + 1)).map((c) => c.record.id)).not.toContain(event.id);
    const later = await restarted.claim("w2", 10, LEASE, T0 + LEASE);
    expect(later.map((c) => c.record.id)).toEqual([event.id]);
  });

  it("purges handled events older than the retention window, never pending or dead ones", async () => {
    const { inbox } = make();
    const old = entry();
    const recent = entry();
    const pending = entry();
    for (const e of [old, recent, pending]) await inbox.accept(e, T0);
    const claims = await inbox.claim("w1", 2, LEASE, T0);
    await inbox.settle(claims[0]!, { status: "handled" }, T0 + 1);
    await inbox.settle(claims[1]!, { status: "handled" }, T0 + 1_000);
    expect(await inbox.purge(T0 + 500)).toBe(1);
    expect(await inbox.accept(old, T0 + 2_000)).toBe(true);
    expect(await inbox.accept(recent, T0 + 2_000)).toBe(false);
    expect(await inbox.counts()).toEqual({ pending: 2, handled: 1, dead: 0 });
  });

  it("refuses a bad id or worker with a typed error, and any call once closed", async () => {
    const { inbox } = make();
    await expect(inbox.accept({ id: "", raw: "{}" }, T0)).rejects.toBeInstanceOf(WebhookInboxError);
    await expect(inbox.accept({ id: "has space", raw: "{}" }, T0)).rejects.toBeInstanceOf(WebhookInboxError);
    await expect(inbox.claim("a/b", 1, LEASE, T0)).rejects.toBeInstanceOf(WebhookInboxError);
    await inbox.close();
    await expect(inbox.accept(entry(), T0)).rejects.toMatchObject({ kind: "webhook-inbox" });
  });
});
