import { describe, expect, it } from "@jest/globals";
import { type BreakerOptions, type OperationDescriptor, type OperationSchemas } from "carewire";
import { tolerantObject, z } from "carewire/zod";
import { FakeClock } from "carewire/testing";
import { json, startServer } from "../helpers/http-server.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile } from "../helpers/pipeline.js";

const operation = (overrides: Partial<OperationDescriptor> = {}) =>
  testOperation({ parameters: { path: [{ name: "thingId", required: true }], query: [{ name: "q", required: false }], header: [], cookie: [] }, ...overrides });

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string(), version: z.number().optional() }) } };

function input(id: string, query?: Record<string, string>) {
  return { params: { path: { thingId: id }, ...(query ? { query } : {}) } };
}

/** A pipeline with only the cache on (and the breaker, when given). */
function cached(clock: FakeClock, url = server.url, breaker: BreakerOptions | false = false) {
  return pipelineWith(url, { breaker, cache: {}, clock });
}

/**
 * Serves thing t1 at version 1 with ETag "v1" for 10 s, and answers a request carrying
 * that ETag with a 304 whose headers are `on304`.
 */
function revalidating(on304: Record<string, string>): void {
  server.handle((req, res) => {
    if (req.headers["if-none-match"] === '"v1"') {
      res.writeHead(304, on304);
      res.end();
    } else json(res, 200, { id: "t1", version: 1 }, { etag: '"v1"', "cache-control": "max-age=10" });
  });
}

const server = serverForFile();

describe("response cache", () => {
  it("serves a max-age=60 response from the cache for 60 s of the clock, with its age", async () => {
    let version = 0;
    server.handle((_req, res) => json(res, 200, { id: "t1", version: ++version }, { "cache-control": "max-age=60" }));
    const clock = new FakeClock();
    const pipeline = cached(clock);
    const before = server.requests.length;

    const first = await pipeline.call(operation(), schemas, input("t1"));
    expect(first.data).toEqual({ id: "t1", version: 1 });
    expect(first.meta).toMatchObject({ source: "network", ageMs: 0 });

    await clock.advance(30_000);
    const second = await pipeline.call(operation(), schemas, input("t1"));
    expect(second.data).toEqual({ id: "t1", version: 1 });
    expect(second.meta).toMatchObject({ source: "cache", ageMs: 30_000 });
    expect(second.meta.attempts).toHaveLength(0);
    expect(Date.parse(second.meta.fetchedAt!)).toBe(clock.now() - 30_000);

    await clock.advance(29_999);
    expect((await pipeline.call(operation(), schemas, input("t1"))).meta).toMatchObject({ source: "cache", ageMs: 59_999 });
    expect(server.requests.length - before).toBe(1);

    await clock.advance(1);
    const expired = await pipeline.call(operation(), schemas, input("t1"));
    expect(expired.data).toEqual({ id: "t1", version: 2 });
    expect(expired.meta.source).toBe("network");
    expect(server.requests.length - before).toBe(2);
  });

  it("revalidates a stale entry with If-None-Match; a 304 refreshes it and returns the cached body", async () => {
    revalidating({ etag: '"v1"', "cache-control": "max-age=10" });
    const clock = new FakeClock();
    const pipeline = cached(clock);
    const before = server.requests.length;

    await pipeline.call(operation(), schemas, input("t1"));
    expect(server.requests.at(-1)!.headers["if-none-match"]).toBeUndefined();
    await clock.advance(11_000);
    const revalidated = await pipeline.call(operation(), schemas, input("t1"));

    expect(server.requests.at(-1)!.headers["if-none-match"]).toBe('"v1"');
    expect(revalidated.error).toBeUndefined();
    expect(revalidated.data).toEqual({ id: "t1", version: 1 });
    expect(revalidated.response?.status).toBe(200);
    expect(revalidated.meta).toMatchObject({ source: "cache", ageMs: 0 });
    expect(revalidated.meta.attempts.map((a) => a.status)).toEqual([304]);

    // Refreshed: fresh again for another max-age.
    await clock.advance(9_000);
    expect((await pipeline.call(operation(), schemas, input("t1"))).meta).toMatchObject({ source: "cache", ageMs: 9_000 });
    expect(server.requests.length - before).toBe(2);
  });

  it("keeps the stored max-age when a 304 does not repeat Cache-Control (RFC 9111 §4.3.4)", async () => {
    revalidating({ etag: '"v1"' });
    const clock = new FakeClock();
    const pipeline = cached(clock);
    const before = server.requests.length;

    await pipeline.call(operation(), schemas, input("t1"));
    await clock.advance(11_000);
    expect((await pipeline.call(operation(), schemas, input("t1"))).data).toEqual({ id: "t1", version: 1 });
    await clock.advance(5_000);
    const next = await pipeline.call(operation(), schemas, input("t1"));

    expect(next.data).toEqual({ id: "t1", version: 1 });
    expect(next.meta).toMatchObject({ source: "cache", ageMs: 5_000 });
    expect(server.requests.length - before).toBe(2);
  });

  it("never stores a response marked no-store by the server", async () => {
    server.handle((_req, res) => json(res, 200, { id: "t1" }, { "cache-control": "no-store", etag: '"v1"' }));
    const clock = new FakeClock();
    const pipeline = cached(clock);
    const before = server.requests.length;

    for (let i = 0; i < 3; i++) expect((await pipeline.call(operation(), schemas, input("t1"))).meta.source).toBe("network");

    expect(server.requests.length - before).toBe(3);
    expect(server.requests.slice(before).every((r) => r.headers["if-none-match"] === undefined)).toBe(true);
  });

  it("never stores for an operation whose hint is no-store, whatever the server says", async () => {
    server.handle((_req, res) => json(res, 200, { id: "t1" }, { "cache-control": "max-age=60", etag: '"v1"' }));
    const clock = new FakeClock();
    const pipeline = cached(clock);
    const op = operation({ hints: { cache: { policy: "no-store" } } });
    const before = server.requests.length;

    for (let i = 0; i < 3; i++) expect((await pipeline.call(op, schemas, input("t1"))).meta.source).toBe("network");

    expect(server.requests.length - before).toBe(3);
    expect(server.requests.slice(before).every((r) => r.headers["if-none-match"] === undefined)).toBe(true);
  });

  it("neither reads nor stores for a call made with cache: no-store", async () => {
    server.handle((req, res) => json(res, 200, { id: req.url.includes("q=") ? "query" : "t1" }, { "cache-control": "max-age=60" }));
    const clock = new FakeClock();
    const pipeline = cached(clock);
    const before = server.requests.length;

    const bypass = await pipeline.call(operation(), schemas, input("t1"), { cache: "no-store" });
    expect(bypass.meta.source).toBe("network");
    // Nothing was stored by the no-store call: the next ordinary call goes to the server.
    expect((await pipeline.call(operation(), schemas, input("t1"))).meta.source).toBe("network");
    // Now an entry exists, and a no-store call still does not read it.
    expect((await pipeline.call(operation(), schemas, input("t1"), { cache: "no-store" })).meta.source).toBe("network");
    expect((await pipeline.call(operation(), schemas, input("t1"))).meta.source).toBe("cache");
    expect(server.requests.length - before).toBe(3);
  });

  it.each([
    ["503", 503],
    ["429", 429],
  ])("serves the stale body within stale-if-error when the server answers %s", async (_name, status) => {
    let failing = false;
    server.handle((_req, res) => {
      if (failing) json(res, status, { title: "down" }, status === 429 ? { "retry-after": "1" } : {});
      else json(res, 200, { id: "t1", version: 1 }, { "cache-control": "max-age=10, stale-if-error=60" });
    });
    const clock = new FakeClock();
    const pipeline = cached(clock);
    await pipeline.call(operation(), schemas, input("t1"));

    failing = true;
    await clock.advance(20_000);
    const stale = await pipeline.call(operation(), schemas, input("t1"));
    expect(stale.error).toBeUndefined();
    expect(stale.data).toEqual({ id: "t1", version: 1 });
    expect(stale.meta).toMatchObject({ source: "stale", ageMs: 20_000 });
    expect(stale.meta.attempts.map((a) => a.status)).toEqual([status]);

    await clock.advance(50_001); // 70 001 ms old: past max-age + stale-if-error
    const late = await pipeline.call(operation(), schemas, input("t1"));
    expect(late.data).toBeUndefined();
    expect(late.error).toMatchObject({ kind: "http", status });
    expect(late.meta.source).toBe("network");
  });

  it("serves the stale body within stale-if-error when the connection is refused, and the network error beyond it", async () => {
    const own = await startServer((_req, res) => json(res, 200, { id: "t1" }, { "cache-control": "max-age=10, stale-if-error=60" }));
    const clock = new FakeClock();
    const pipeline = cached(clock, own.url);
    expect((await pipeline.call(operation(), schemas, input("t1"))).error).toBeUndefined();
    await own.close();

    await clock.advance(30_000);
    const stale = await pipeline.call(operation(), schemas, input("t1"));
    expect(stale.error).toBeUndefined();
    expect(stale.data).toEqual({ id: "t1" });
    expect(stale.meta).toMatchObject({ source: "stale", ageMs: 30_000 });
    expect(stale.meta.attempts[0]).toMatchObject({ errorKind: "network" });

    await clock.advance(40_001);
    const late = await pipeline.call(operation(), schemas, input("t1"));
    expect(late.error).toMatchObject({ kind: "network", phase: "connect" });
  });

  it("uses the operation's staleIfErrorSeconds hint when the server gives no stale-if-error", async () => {
    let failing = false;
    server.handle((_req, res) => (failing ? json(res, 503, { title: "down" }) : json(res, 200, { id: "t1" }, { "cache-control": "max-age=10" })));
    const clock = new FakeClock();
    const pipeline = cached(clock);
    const op = operation({ hints: { cache: { policy: "max-age", staleIfErrorSeconds: 30 } } });
    await pipeline.call(op, schemas, input("t1"));

    failing = true;
    await clock.advance(40_000);
    expect((await pipeline.call(op, schemas, input("t1"))).meta).toMatchObject({ source: "stale", ageMs: 40_000 });
    await clock.advance(1);
    expect((await pipeline.call(op, schemas, input("t1"))).error).toMatchObject({ kind: "http", status: 503 });
  });

  it("serves the stale body while the breaker is open, without contacting the server", async () => {
    let failing = false;
    server.handle((_req, res) => (failing ? json(res, 503, { title: "down" }) : json(res, 200, { id: "t1" }, { "cache-control": "max-age=10, stale-if-error=60" })));
    const clock = new FakeClock();
    const pipeline = cached(clock, server.url, { minimumThroughput: 2, openMs: 120_000 });
    await pipeline.call(operation(), schemas, input("t1"));

    failing = true;
    await clock.advance(20_000);
    // Other resources of the same group fail and open the circuit.
    await pipeline.call(operation(), schemas, input("t2"));
    const opener = await pipeline.call(operation(), schemas, input("t3"));
    expect(opener.meta.breaker?.state).toBe("open");
    const before = server.requests.length;

    const stale = await pipeline.call(operation(), schemas, input("t1"));
    expect(stale.error).toBeUndefined();
    expect(stale.data).toEqual({ id: "t1" });
    expect(stale.meta).toMatchObject({ source: "stale", ageMs: 20_000, breaker: { group: "acme:things", state: "open" } });
    expect(server.requests.length).toBe(before);

    await clock.advance(50_001); // still open (120 s openMs), but 70 001 ms old: past the stale window
    const late = await pipeline.call(operation(), schemas, input("t1"));
    expect(late.error).toMatchObject({ kind: "circuit-open" });
    expect(server.requests.length).toBe(before);
  });

  it("never caches a POST", async () => {
    let n = 0;
    server.handle((_req, res) => json(res, 200, { id: `created-${++n}` }, { "cache-control": "max-age=60", etag: '"p"' }));
    const clock = new FakeClock();
    const pipeline = cached(clock);
    const post = operation({ method: "post", safety: "unsafe", operationId: "searchThings", requestBody: { required: true, contentTypes: ["application/json"] } });
    const before = server.requests.length;

    const first = await pipeline.call(post, schemas, { ...input("t1"), body: { q: 1 } });
    const second = await pipeline.call(post, schemas, { ...input("t1"), body: { q: 1 } });

    expect(first.data).toEqual({ id: "created-1" });
    expect(second.data).toEqual({ id: "created-2" });
    expect(second.meta.source).toBe("network");
    expect(server.requests.length - before).toBe(2);
    expect(server.requests.at(-1)!.headers["if-none-match"]).toBeUndefined();
    // Nor does a GET of the same URL find anything a POST left behind.
    expect((await pipeline.call(operation(), schemas, input("t1"))).meta.source).toBe("network");
  });

  it("keeps different query parameters in different entries", async () => {
    server.handle((req, res) => json(res, 200, { id: new URL(req.url, "http://x").searchParams.get("q") ?? "none" }, { "cache-control": "max-age=60" }));
    const clock = new FakeClock();
    const pipeline = cached(clock);
    const before = server.requests.length;

    const a = await pipeline.call(operation(), schemas, input("t1", { q: "a" }));
    const b = await pipeline.call(operation(), schemas, input("t1", { q: "b" }));
    const none = await pipeline.call(operation(), schemas, input("t1"));
    const aAgain = await pipeline.call(operation(), schemas, input("t1", { q: "a" }));
    const bAgain = await pipeline.call(operation(), schemas, input("t1", { q: "b" }));

    expect([a.data, b.data, none.data]).toEqual([{ id: "a" }, { id: "b" }, { id: "none" }]);
    expect(aAgain).toMatchObject({ data: { id: "a" }, meta: { source: "cache" } });
    expect(bAgain).toMatchObject({ data: { id: "b" }, meta: { source: "cache" } });
    expect(server.requests.length - before).toBe(3);
  });

  describe("reading your own writes", () => {
    const list = () => operation({ operationId: "listThings", path: "/things", parameters: { path: [], query: [], header: [], cookie: [] } });
    const update = () => operation({ operationId: "updateThing", method: "put", safety: "idempotent", requestBody: { required: true, contentTypes: ["application/json"] } });
    const create = () => operation({ operationId: "createThing", method: "post", path: "/things", safety: "unsafe", parameters: { path: [], query: [], header: [], cookie: [] }, requestBody: { required: true, contentTypes: ["application/json"] } });

    /** A server whose things change when written: each GET returns the current version. */
    function versioned(writeStatus = 200): () => number {
      let version = 1;
      server.handle((req, res) => {
        if (req.method !== "GET") {
          if (writeStatus < 400) version++;
          return json(res, writeStatus, { id: "t1", version });
        }
        return json(res, 200, req.url.startsWith("/things?") || req.url === "/things" ? { id: "list", version } : { id: "t1", version }, { "cache-control": "max-age=60" });
      });
      return () => version;
    }

    it("drops the cached resource and its collection after a PUT, so the next reads see the write", async () => {
      versioned();
      const pipeline = cached(new FakeClock());
      await pipeline.call(operation(), schemas, input("t1"));
      await pipeline.call(list(), schemas, { params: { query: { q: "x" } } });
      expect((await pipeline.call(operation(), schemas, input("t1"))).meta.source).toBe("cache");

      await pipeline.call(update(), schemas, { ...input("t1"), body: { id: "t1" } });

      const read = await pipeline.call(operation(), schemas, input("t1"));
      expect(read).toMatchObject({ data: { version: 2 }, meta: { source: "network" } });
      const listed = await pipeline.call(list(), schemas, { params: { query: { q: "x" } } });
      expect(listed).toMatchObject({ data: { version: 2 }, meta: { source: "network" } });
    });

    it("drops the cached collection after a POST to it, but keeps other resources' entries", async () => {
      versioned();
      const pipeline = cached(new FakeClock());
      await pipeline.call(list(), schemas, {});
      await pipeline.call(operation(), schemas, input("t1"));

      await pipeline.call(create(), schemas, { body: { name: "new" } });

      expect((await pipeline.call(list(), schemas, {})).meta.source).toBe("network");
      // `/things/t1` is not the collection a POST to `/things` changes.
      expect((await pipeline.call(operation(), schemas, input("t1"))).meta.source).toBe("cache");
    });

    it("keeps the cache when the server refused the write (4xx): nothing changed", async () => {
      versioned(409);
      const pipeline = cached(new FakeClock());
      await pipeline.call(operation(), schemas, input("t1"));
      await pipeline.call(update(), schemas, { ...input("t1"), body: { id: "t1" } });
      expect((await pipeline.call(operation(), schemas, input("t1"))).meta.source).toBe("cache");
    });

    it("drops the cache when the write's answer was lost: it may have been applied", async () => {
      let version = 1;
      server.handle((req, res) => {
        if (req.method !== "GET") {
          version++;
          return void res.socket?.destroy();
        }
        json(res, 200, { id: "t1", version }, { "cache-control": "max-age=60" });
      });
      const pipeline = cached(new FakeClock());
      await pipeline.call(operation(), schemas, input("t1"));
      const lost = await pipeline.call(update(), schemas, { ...input("t1"), body: { id: "t1" } });
      expect(lost.error?.kind).toBe("network");
      expect(await pipeline.call(operation(), schemas, input("t1"))).toMatchObject({ data: { version: 2 }, meta: { source: "network" } });
    });
  });
});
