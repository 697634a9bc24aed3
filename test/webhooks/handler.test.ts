/**
 * The receiver: a real node:http server on 127.0.0.1 in front of `webhookHandler`. Genuine
 * deliveries are answered 204 and handed to `onEvent` once; duplicates are answered without
 * a second hand-off; refusals carry no detail in the answer and a typed reason in
 * `onRejected`. Retries, dead events and revival run on a fake clock.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { advanceInSteps } from "../helpers/fake-time.js";
import { hubSignature256, memoryInbox, signWebhook, webhookHandler, WebhookSignatureError, WebhookTimestampError, type WebhookError, type WebhookHandler, type WebhookObservation } from "../../src/webhooks/index.js";

const SECRET = `whsec_${Buffer.from("handler test secret of 32 bytes!").toString("base64")}`;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(handler: WebhookHandler): Promise<string> {
  const server = http.createServer(handler.listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => handler.close(), () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
}

let ids = 0;
async function delivery(options: { id?: string; body?: string; timestamp?: number; secret?: string } = {}) {
  const id = options.id ?? `msg_${++ids}`;
  const body = options.body ?? JSON.stringify({ type: "patient.updated", data: { id: `pat-${ids}` } });
  const headers = await signWebhook(body, { secret: options.secret ?? SECRET, id, ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}) });
  const sent: Record<string, string> = { ...headers, "content-type": "application/json" };
  return { id, body, headers: sent };
}
/** A promise an onEvent hangs on until the test lets it go. */
function blocked(): { stuck: Promise<void>; unblock: () => void } {
  let unblock = () => undefined as void;
  const stuck = new Promise<void>((resolve) => (unblock = resolve));
  return { stuck, unblock };
}

const post = (url: string, d: { body: string; headers: Record<string, string> }) => fetch(url, { method: "POST", body: d.body, headers: d.headers });

describe("webhookHandler over node:http", () => {
  it("answers a genuine delivery 204, hands it to onEvent once, and answers its duplicates 204 without handing them off again", async () => {
    const handled: string[] = [];
    const seen: WebhookObservation["type"][] = [];
    const handler = webhookHandler({ secrets: SECRET, onEvent: (event) => void handled.push(event.id), observe: (o) => seen.push(o.type) });
    const url = await serve(handler);
    const d = await delivery();
    expect((await post(url, d)).status).toBe(204);
    expect((await post(url, d)).status).toBe(204);
    expect((await post(url, d)).status).toBe(204);
    await handler.settled();
    expect(handled).toEqual([d.id]);
    expect(seen.sort()).toEqual(["accepted", "duplicate", "duplicate", "handled"]);
  });

  it("hands a hub-signed body off once however many delivery ids it is replayed under (the id header is not signed)", async () => {
    const handled: string[] = [];
    const handler = webhookHandler({ secrets: "gh-secret", scheme: hubSignature256, onEvent: (event) => void handled.push(event.id) });
    const url = await serve(handler);
    const body = JSON.stringify({ action: "opened", number: 7 });
    for (const id of ["d-1", "d-1", "replay-2", "replay-3"]) {
      const headers = await signWebhook(body, { secret: "gh-secret", id, scheme: hubSignature256 });
      expect((await post(url, { body, headers })).status).toBe(204);
    }
    await handler.settled();
    expect(handled).toHaveLength(1);
  });

  it("refuses a forgery 401 with an empty answer and tells onRejected why", async () => {
    const rejected: Array<[WebhookError, number]> = [];
    const handled: string[] = [];
    const observed: WebhookObservation[] = [];
    const handler = webhookHandler({ secrets: SECRET, onEvent: (e) => void handled.push(e.id), onRejected: (error, status) => void rejected.push([error, status]), observe: (o) => void observed.push(o) });
    const url = await serve(handler);
    const forged = await delivery({ secret: "whsec_" + Buffer.from("not the right secret at all!!!!!").toString("base64") });
    const response = await post(url, forged);
    expect(response.status).toBe(401);
    expect(await response.text()).toBe("");
    expect(rejected[0]![0]).toBeInstanceOf(WebhookSignatureError);
    const late = await delivery({ timestamp: Math.floor(Date.now() / 1000) - 3_600 });
    expect((await post(url, late)).status).toBe(401);
    expect(rejected[1]![0]).toBeInstanceOf(WebhookTimestampError);
    expect(rejected[1]![0]).toMatchObject({ reason: "too-old" });
    await handler.settled();
    expect(handled).toEqual([]);
    expect(observed).toEqual([
      { type: "rejected", reason: "webhook-signature", status: 401 },
      { type: "rejected", reason: "webhook-timestamp", status: 401 },
    ]);
  });

  it("answers malformed 400, too large 413, a slow body 408 and a GET 405", async () => {
    const reasons: string[] = [];
    const handler = webhookHandler({ secrets: SECRET, maxBodyBytes: 1_000, bodyTimeoutMs: 50, onEvent: () => undefined, onRejected: (e) => void reasons.push(e.kind) });
    const url = await serve(handler);
    const noId = await delivery();
    const { "webhook-id": _dropped, ...headers } = noId.headers;
    expect((await post(url, { body: noId.body, headers })).status).toBe(400);
    expect((await post(url, await delivery({ body: JSON.stringify({ note: "x".repeat(5_000) }) }))).status).toBe(413);
    expect((await fetch(url)).status).toBe(405);
    const slow = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: "POST", headers: { "content-length": "100" } }, (res) => resolve(res.statusCode ?? 0));
      req.on("error", reject);
      req.write("{");
    });
    expect(slow).toBe(408);
    expect(reasons).toEqual(["webhook-malformed", "webhook-too-large", "webhook-timeout"]);
  });

  it("hands off no more events at once than its concurrency", async () => {
    let running = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const handler = webhookHandler({
      secrets: SECRET,
      concurrency: 3,
      onEvent: async () => {
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
      },
    });
    const url = await serve(handler);
    for (let i = 0; i < 10; i++) expect((await post(url, await delivery())).status).toBe(204);
    let finished = 0;
    const done = handler.settled().then(() => (finished = 10));
    // Lets one waiting hand-off finish per turn until all ten are through.
    for (let turns = 0; finished < 10 && turns < 100_000; turns++) {
      await new Promise((resolve) => setImmediate(resolve));
      release.shift()?.();
    }
    await done;
    expect(most).toBe(3);
  });
});

describe("hand-off on a fake clock", () => {
  const NOW = 1_800_000_000;
  /** Retry pauses without their random part (`random: () => 0`) unless a test gives its own. */
  async function handlerWith(onEvent: (id: string, attempt: number) => void, extra: { maxAttempts?: number; random?: () => number; concurrency?: number } = {}) {
    const clock = new FakeClock({ start: NOW * 1000 });
    const seen: WebhookObservation[] = [];
    const handler = webhookHandler({ secrets: SECRET, clock, pollMs: 100, backoffMs: 1_000, maxAttempts: extra.maxAttempts ?? 3, random: extra.random ?? (() => 0), concurrency: extra.concurrency ?? 4, onEvent: (e, { attempt }) => onEvent(e.id, attempt), observe: (o) => seen.push(o) });
    cleanups.push(() => handler.close());
    const receive = async () => {
      const d = await delivery({ timestamp: NOW });
      expect((await handler.handle({ method: "POST", headers: d.headers, body: d.body })).status).toBe(204);
      return d.id;
    };
    const pass = async (ms: number) => {
      for (let t = 0; t < ms; t += 100) {
        await clock.advance(100);
        await handler.settled();
      }
    };
    return { handler, clock, seen, receive, pass };
  }

  it("retries a failing onEvent after 1 s, then 2 s, and hands it over once it succeeds", async () => {
    const attempts: Array<[number, number]> = [];
    const { clock, seen, receive, pass, handler } = await handlerWith((_, attempt) => {
      attempts.push([attempt, clock.now() - NOW * 1000]);
      if (attempt < 3) throw new Error("downstream busy");
    });
    await receive();
    await handler.settled();
    await pass(3_000);
    expect(attempts).toEqual([[1, 0], [2, 1_000], [3, 3_000]]);
    expect(seen.filter((o) => o.type === "retry").map((o) => (o as { error: string }).error)).toEqual(["Error", "Error"]);
    expect(seen.at(-1)).toMatchObject({ type: "handled", attempt: 3 });
  });

  it("spreads the retries of events that failed together over the second half of the pause, so they do not all come back at once", async () => {
    let draw = 0;
    // A seeded source: an even spread over [0, 1).
    const random = () => ((draw++ * 0.618_034) % 1);
    const firstFailure = new Map<string, number>();
    const retriedAfter: number[] = [];
    const { clock, receive, pass, handler, seen } = await handlerWith((id, attempt) => {
      if (attempt === 1) {
        firstFailure.set(id, clock.now());
        throw new Error("downstream down");
      }
      retriedAfter.push(clock.now() - firstFailure.get(id)!);
    }, { random, concurrency: 40, maxAttempts: 5 });
    for (let i = 0; i < 40; i++) await receive();
    await handler.settled();
    const pauses = seen.filter((o) => o.type === "retry").map((o) => (o as { retryAt: number }).retryAt - NOW * 1000);
    expect(pauses).toHaveLength(40);
    for (const pause of pauses) expect(pause >= 500 && pause <= 1_000).toBe(true);
    expect(new Set(pauses.map((p) => Math.floor(p / 100))).size).toBeGreaterThanOrEqual(5);
    await pass(1_100);
    expect(retriedAfter).toHaveLength(40);
  });

  it("retries after the full pause when the app's random source throws, and still settles the event", async () => {
    const attempts: number[] = [];
    const { clock, receive, pass, handler, seen } = await handlerWith((_, attempt) => {
      attempts.push(clock.now() - NOW * 1000);
      if (attempt === 1) throw new Error("once");
    }, { random: () => { throw new Error("no entropy"); } });
    await receive();
    await handler.settled();
    await pass(1_000);
    expect(attempts).toEqual([0, 1_000]);
    expect(seen.at(-1)).toMatchObject({ type: "handled", attempt: 2 });
  });

  it("parks an event that keeps failing as dead (listed, never lost) and hands it off again once revived", async () => {
    let failing = true;
    const handled: string[] = [];
    const { seen, receive, pass, handler } = await handlerWith((id) => {
      if (failing) throw new TypeError("bug");
      handled.push(id);
    }, { maxAttempts: 2 });
    const id = await receive();
    await handler.settled();
    await pass(5_000);
    expect(seen.filter((o) => o.type === "dead")).toEqual([{ type: "dead", id, attempt: 2, error: "TypeError" }]);
    const [dead] = await handler.inbox.list({ status: "dead" });
    expect(dead).toMatchObject({ id, lastError: "TypeError" });
    failing = false;
    expect(await handler.revive([id])).toBe(1);
    await handler.settled();
    expect(handled).toEqual([id]);
  });

  it("keeps a timed-out onEvent in its slot and lease until it returns: never run beside itself, and it holds back the next event", async () => {
    const clock = new FakeClock({ start: NOW * 1000 });
    const starts: Array<[string, number]> = [];
    const aborted: boolean[] = [];
    const { stuck, unblock } = blocked();
    const handler = webhookHandler({ secrets: SECRET, clock, concurrency: 1, pollMs: 100, attemptTimeoutMs: 1_000, backoffMs: 1_000, maxAttempts: 20, onEvent: async (e, { attempt, signal }) => {
      starts.push([e.id, attempt]);
      if (starts.length === 1) {
        await stuck;
        aborted.push(signal.aborted);
      }
    } });
    cleanups.push(() => handler.close());
    const first = await delivery({ timestamp: NOW });
    const second = await delivery({ timestamp: NOW });
    for (const d of [first, second]) expect((await handler.handle({ method: "POST", headers: d.headers, body: d.body })).status).toBe(204);
    // Ten times the attempt bound, five lease lengths: the hung attempt is neither started again nor replaced.
    await advanceInSteps(clock, 10_000);
    expect(starts).toEqual([[first.id, 1]]);
    unblock();
    await handler.settled();
    expect(aborted).toEqual([true]);
    // Its slot freed, the next event goes; the timed-out one is retried after its backoff.
    expect(starts.map(([id]) => id)).toEqual([first.id, second.id]);
    for (let t = 0; t < 3_000; t += 100) {
      await clock.advance(100);
      await handler.settled();
    }
    expect(starts.filter(([id]) => id === first.id)).toHaveLength(2);
    expect(await handler.inbox.counts()).toMatchObject({ pending: 0, handled: 2, dead: 0 });
  });

  it("tells observe once when a hung onEvent's lease cannot be kept (the inbox refuses the renewal)", async () => {
    const clock = new FakeClock({ start: NOW * 1000 });
    const inbox = memoryInbox();
    const refusing = { ...inbox, extend: async () => false };
    const lost: string[] = [];
    const { stuck, unblock } = blocked();
    const handler = webhookHandler({ secrets: SECRET, clock, inbox: refusing, concurrency: 1, pollMs: 100, attemptTimeoutMs: 1_000, maxAttempts: 20, observe: (o) => void (o.type === "lease-lost" && lost.push(o.id)), onEvent: () => stuck });
    cleanups.push(() => handler.close());
    const d = await delivery({ timestamp: NOW });
    expect((await handler.handle({ method: "POST", headers: d.headers, body: d.body })).status).toBe(204);
    await advanceInSteps(clock, 3_000);
    expect(lost).toEqual([d.id]);
    unblock();
    await handler.settled();
  });

  it("starts nothing a claim brings back after close() began (a slow store), and gives its lease back for another instance to take at once", async () => {
    const clock = new FakeClock({ start: NOW * 1000 });
    const inbox = memoryInbox();
    let openStore = () => undefined as void;
    const storeAnswers = new Promise<void>((resolve) => (openStore = resolve));
    let claimsAsked = 0;
    // The store takes its time to answer the first claim: close() begins meanwhile.
    const slow = { ...inbox, claim: async (...args: Parameters<typeof inbox.claim>) => {
      if (claimsAsked++ === 0) await storeAnswers;
      return inbox.claim(...args);
    } };
    const starts: Array<[string, string, number]> = [];
    const rules = { secrets: SECRET, clock, concurrency: 1, pollMs: 100, attemptTimeoutMs: 60_000, maxAttempts: 5 } as const;
    const a = webhookHandler({ ...rules, inbox: slow, workerId: "a", onEvent: (e, { attempt }) => void starts.push(["a", e.id, attempt]) });
    const d = await delivery({ timestamp: NOW });
    expect((await a.handle({ method: "POST", headers: d.headers, body: d.body })).status).toBe(204);
    await advanceInSteps(clock, 0);
    expect(claimsAsked).toBe(1);

    const closing = a.close();
    openStore();
    await closing;
    expect(starts).toEqual([]);
    // Not held for the lease's length (2 × 60 s): another instance takes it at the same moment.
    const b = webhookHandler({ ...rules, inbox, workerId: "b", onEvent: (e, { attempt }) => void starts.push(["b", e.id, attempt]) });
    cleanups.push(() => b.close());
    await b.settled();
    // The given-back claim counts no attempt: the other instance's start is the event's first.
    expect(starts).toEqual([["b", d.id, 1]]);
    expect(await inbox.counts()).toMatchObject({ pending: 0, handled: 1 });
  });

  it("keeps a hung onEvent's lease in a fleet: another instance on the same inbox never starts that event beside it", async () => {
    const clock = new FakeClock({ start: NOW * 1000 });
    const inbox = memoryInbox();
    const starts: Array<[string, string]> = [];
    const lost: string[] = [];
    const { stuck, unblock } = blocked();
    const rules = { secrets: SECRET, clock, inbox, concurrency: 1, pollMs: 100, attemptTimeoutMs: 1_000, backoffMs: 1_000, maxAttempts: 20 } as const;
    const a = webhookHandler({ ...rules, workerId: "a", observe: (o) => void (o.type === "lease-lost" && lost.push(o.id)), onEvent: async (e) => {
      starts.push(["a", e.id]);
      if (starts.length === 1) await stuck;
    } });
    cleanups.push(() => a.close());
    const first = await delivery({ timestamp: NOW });
    expect((await a.handle({ method: "POST", headers: first.headers, body: first.body })).status).toBe(204);
    await advanceInSteps(clock, 0);
    expect(starts).toEqual([["a", first.id]]);
    // A second instance of the app joins, on the same inbox, and takes the next delivery.
    const b = webhookHandler({ ...rules, workerId: "b", onEvent: (e) => void starts.push(["b", e.id]) });
    cleanups.push(() => b.close());
    const second = await delivery({ timestamp: NOW });
    expect((await b.handle({ method: "POST", headers: second.headers, body: second.body })).status).toBe(204);
    // Ten attempt bounds, five first-lease lengths: b handles its event and never starts the hung one.
    await advanceInSteps(clock, 10_000);
    expect(starts).toEqual([["a", first.id], ["b", second.id]]);
    expect(lost).toEqual([]);
    unblock();
    await a.settled();
    // The timed-out attempt is retried after its backoff, by whichever instance claims it first, once.
    for (let t = 0; t < 3_000; t += 100) {
      await clock.advance(100);
      await Promise.all([a.settled(), b.settled()]);
    }
    expect(starts.filter(([, id]) => id === first.id)).toHaveLength(2);
    expect(await inbox.counts()).toMatchObject({ pending: 0, handled: 2, dead: 0 });
  });
});
