/**
 * The platform's own fetch is handed a request as a URL and init, not as a Request it would
 * copy into another one. These tests hold that path to everything a Request gave: the same
 * bytes on the wire, the same bounds (a timeout still reaches the socket), the same
 * redirects, `exchange.request` for a policy that reads it, and a typed refusal, never a
 * network failure, for a request the platform will not make. A real server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeClock } from "carewire/testing";
import { buildOutgoing, type OutgoingRequest } from "../../src/runtime/wire/request.js";
import { withJson } from "../../src/runtime/wire/sent-exchange.js";
import { createPipeline } from "../../src/runtime/core/pipeline.js";
import { sendAttempt, type AttemptOptions, type FetchLike } from "../../src/runtime/wire/transport.js";
import { testOperation } from "../helpers/operation.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const bounds = (extra: Partial<AttemptOptions> = {}): AttemptOptions => ({ fetch: undefined, timeoutMs: 30_000, maxBytes: 1 << 20, maxRedirects: 5, clock: new FakeClock(), ...extra });

/** A POST as the pipeline builds one: a fresh URL and init per call of the factory. */
const post = (path = "/things"): (() => OutgoingRequest) => () => ({
  url: `${server.url}${path}`,
  init: { method: "POST", headers: new Headers({ "content-type": "application/json", "idempotency-key": "k1" }), body: '{"a":1}', redirect: "manual" },
});

describe("the platform's fetch, handed a URL and init", () => {
  it("sends the same method, headers and body, and makes exchange.request only when it is read", async () => {
    server.handle((_req, res) => json(res, 201, { id: "t1" }));
    const before = server.requests.length;
    const exchange = await sendAttempt(post(), bounds());

    expect(exchange.response.status).toBe(201);
    expect(new TextDecoder().decode(exchange.body)).toBe('{"id":"t1"}');
    const [seen] = server.requests.slice(before);
    expect(seen).toMatchObject({ method: "POST", url: "/things", body: '{"a":1}' });
    expect(seen!.headers).toMatchObject({ "content-type": "application/json", "idempotency-key": "k1" });

    const request = exchange.request;
    expect(request).toBeInstanceOf(Request);
    expect({ method: request.method, url: request.url, key: request.headers.get("idempotency-key") }).toEqual({ method: "POST", url: `${server.url}/things`, key: "k1" });
    expect(await request.text()).toBe('{"a":1}');
    // Made once: the same Request every time it is read, and kept when the JSON is attached.
    expect(exchange.request).toBe(request);
    const parsed = withJson(exchange, { id: "t1" });
    expect(parsed.json).toEqual({ value: { id: "t1" } });
    expect(parsed.request.url).toBe(`${server.url}/things`);
    expect(parsed.body).toBe(exchange.body);
  });

  it("gives a caller's fetch a Request made of the URL and init", async () => {
    const seen: Array<{ url: string; method: string; body: string }> = [];
    const fetch: FetchLike = async (request) => {
      seen.push({ url: request.url, method: request.method, body: await request.text() });
      return new Response("{}", { status: 200 });
    };
    await sendAttempt(post(), bounds({ fetch }));
    expect(seen).toEqual([{ url: `${server.url}/things`, method: "POST", body: '{"a":1}' }]);
  });

  it("still ends on its timeout, typed, and the socket is closed under the server", async () => {
    const closed = new Promise<void>((resolve) => server.handle((_req, res) => void res.on("close", () => resolve())));
    const clock = new FakeClock();
    const pending = sendAttempt(post("/slow"), bounds({ clock, timeoutMs: 5_000 })).catch((error: unknown) => error);
    // The request has reached the server once it is recorded; then the timer fires.
    while (!server.requests.some((r) => r.url === "/slow")) await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(5_000);
    expect(await pending).toMatchObject({ kind: "timeout", timeoutMs: 5_000 });
    await closed;
  });

  it("a client's first call that times out on a server that never answers closes its socket (a script can exit)", async () => {
    // Without the abort reaching the socket, it would stay open (and keep the process alive)
    // until fetch's own headers timeout, 300 s in Node.
    const closed = new Promise<void>((resolve) => server.handle((_req, res) => void res.on("close", () => resolve())));
    const clock = new FakeClock();
    const client = createPipeline({ provider: "acme", baseUrl: server.url, clock, timeoutMs: 2_000, retry: false, pacing: { limit: Infinity } });
    const call = client.call(testOperation(), { responses: {} }, { params: { path: { thingId: "never" } } });
    while (!server.requests.some((r) => r.url === "/things/never")) await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(2_000);
    expect((await call).error).toMatchObject({ kind: "timeout", phase: "request" });
    await closed;
  });

  it("follows a same-origin 307 with the same method, body and key, and refuses another origin", async () => {
    const before = server.requests.length;
    server.handle((req, res) => {
      if (req.url === "/things") res.writeHead(307, { location: "/v2/things" }).end();
      else if (req.url === "/v2/things") json(res, 201, { ok: true });
      else res.writeHead(308, { location: "http://elsewhere.test/collect" }).end();
    });
    const moved = await sendAttempt(post(), bounds());
    expect(moved.response.status).toBe(201);
    const hops = server.requests.slice(before).map((r) => ({ url: r.url, method: r.method, body: r.body, key: r.headers["idempotency-key"] }));
    expect(hops).toEqual([
      { url: "/things", method: "POST", body: '{"a":1}', key: "k1" },
      { url: "/v2/things", method: "POST", body: '{"a":1}', key: "k1" },
    ]);
    expect(moved.request.url).toBe(`${server.url}/v2/things`);

    const refused = await sendAttempt(post("/away"), bounds()).catch((error: unknown) => error);
    expect(refused).toMatchObject({ kind: "untrusted-url", expectedOrigin: server.url });
  });

  it("turns the platform's refusal to make the request into a typed invalid request, never a network failure", async () => {
    const unparsable = () => ({ url: "http://[::1", init: { method: "GET", redirect: "manual" as const } });
    const error = await sendAttempt(unparsable, bounds()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: "invalid-request" });
    expect(String((error as Error).message)).not.toContain("[::1");
  });

  it("builds the URL and init the pipeline sends: path and query filled in, headers merged, JSON body", () => {
    const op = testOperation({ method: "post", path: "/things/{thingId}", parameters: { path: [{ name: "thingId", required: true }], query: [], header: [], cookie: [] }, requestBody: { required: true, contentTypes: ["application/json"] } });
    const input = { params: { path: { thingId: "a b" }, query: { q: "x" } }, body: { n: 1 } };
    const { url, init } = buildOutgoing({ baseUrl: "http://api.test/v1/", operation: op, input, target: { path: "/things/a%20b", query: "q=x" }, defaultHeaders: [{ "X-Correlation-Id": "c1" }], overrideHeaders: [{ "x-extra": "1" }] });
    expect(url).toBe("http://api.test/v1/things/a%20b?q=x");
    expect(init.method).toBe("POST");
    expect(init.redirect).toBe("manual");
    expect(init.body).toBe('{"n":1}');
    expect(Object.fromEntries(init.headers as Headers)).toEqual({ "content-type": "application/json", "x-correlation-id": "c1", "x-extra": "1" });
  });
});
