import { describe, expect, it } from "@jest/globals";
import { inspect } from "node:util";
import {
  joinNotes,
  withHeader,
  createPipeline,
  InvalidRequestError,
  unwrap,
  type OperationDescriptor,
  type OperationSchemas,
  type Policy,
} from "carewire";
import { FakeClock } from "carewire/testing";
import { tolerantObject, z } from "carewire/zod";
import { json, startServer } from "../helpers/http-server.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile, type TestPipelineOptions } from "../helpers/pipeline.js";

const operation = testOperation;

const Thing = tolerantObject({ id: z.string(), size: z.number().optional(), kind: z.enum(["a", "b"]).optional() });
const schemas: OperationSchemas = { responses: { "200": Thing, "4XX": tolerantObject({ title: z.string() }) } };

const server = serverForFile();

/** A bare pipeline (no carewire policies) to the file's server. */
const bare = (options: TestPipelineOptions = {}) => pipelineWith(server.url, { resilience: false, ...options });

/** The server answers every request with this status, content type and body, however broken. */
function answersRaw(status: number, contentType: string, body: string): void {
  server.handle((_req, res) => {
    res.writeHead(status, { "content-type": contentType });
    res.end(body);
  });
}

describe("pipeline", () => {
  it("builds the URL from the path template and query, and returns typed data with meta", async () => {
    server.handle((req, res) => json(res, 200, { id: "t 1", size: 3 }, { "x-request-id": "srv-42" }));
    const pipeline = pipelineWith(`${server.url}/v1/`, { resilience: false });
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t 1" }, query: { expand: ["a", "b"], q: "x y" } } });

    expect(result.error).toBeUndefined();
    expect(result.data).toEqual({ id: "t 1", size: 3 });
    const seen = server.requests.at(-1)!;
    expect(seen.url).toBe("/v1/things/t%201?expand=a&expand=b&q=x%20y");
    expect(seen.headers["x-correlation-id"]).toBe(result.meta.requestId);
    expect(result.meta).toMatchObject({
      provider: "acme",
      operationId: "getThing",
      method: "GET",
      path: "/things/{thingId}",
      serverRequestId: "srv-42",
      source: "network",
      drift: { unknownFields: [], issues: [] },
    });
    expect(result.meta.attempts).toHaveLength(1);
    expect(result.meta.attempts[0]).toMatchObject({ attempt: 1, status: 200, delayMs: 0 });
    expect(Date.parse(result.meta.fetchedAt!)).not.toBeNaN();
  });

  it("keeps unknown fields in data and reports them (and tolerated violations) as drift", async () => {
    server.handle((_req, res) => json(res, 200, { id: "t1", kind: "c", extra: { nested: true }, "odd key": 1 }));
    const pipeline = bare();
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t1" } } });

    expect(result.data).toEqual({ id: "t1", kind: "c", extra: { nested: true }, "odd key": 1 });
    expect(result.meta.drift.unknownFields).toEqual(["$.extra", '$["odd key"]']);
    expect(result.meta.drift.issues).toEqual([expect.objectContaining({ path: "$.kind", code: "invalid_value" })]);
  });

  it("returns an HttpError carrying the typed error body for non-2xx statuses", async () => {
    server.handle((_req, res) => json(res, 404, { title: "no such thing" }));
    const pipeline = bare();
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "zz" } } });

    expect(result.data).toBeUndefined();
    expect(result.error).toMatchObject({ kind: "http", status: 404, body: { title: "no such thing" } });
    expect(result.error!.meta).toBe(result.meta);
    expect(result.response?.status).toBe(404);
    expect(() => unwrap(result)).toThrow("HTTP 404");
    // The message says which call failed, by its path template: never the id that was asked for.
    expect(result.error!.message).toBe("HTTP 404 Not Found (getThing: GET /things/{thingId})");
    expect(String((result.error as Error).stack).split("\n")[0]).toBe("NotFoundError: HTTP 404 Not Found (getThing: GET /things/{thingId})");
  });

  it("reports truncated JSON on a 2xx as a malformed-response error, not a crash", async () => {
    answersRaw(200, "application/json", '{"id": "t1", "size": 1');
    const pipeline = bare();
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t1" } } });

    expect(result.error).toMatchObject({ kind: "malformed-response", status: 200 });
    expect(result.meta.attempts[0]?.status).toBe(200);
  });

  it("keeps a non-JSON error body as text", async () => {
    answersRaw(502, "text/html", "<html>bad gateway</html>");
    const pipeline = bare();
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t1" } } });
    expect(result.error).toMatchObject({ kind: "http", status: 502, body: "<html>bad gateway</html>" });
  });

  it("times out one attempt, including a body that drips too slowly", async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"id":');
      // Never finishes the body.
    });
    const pipeline = bare({ timeoutMs: 150 });
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t1" } } });

    expect(result.error).toMatchObject({ kind: "timeout", timeoutMs: 150, phase: "body" });
    expect(result.meta.attempts[0]).toMatchObject({ errorKind: "timeout" });
    expect(result.meta.attempts[0]!.durationMs).toBeGreaterThanOrEqual(140);
  });

  it("with stream: true hands back the 2xx body unread; the attempt timeout stops at the headers; nothing is cached", async () => {
    let served = 0;
    server.handle((_req, res) => {
      served++;
      res.writeHead(200, { "content-type": "application/fhir+ndjson", "cache-control": "max-age=600" });
      let n = 0;
      const tick = setInterval(() => {
        res.write(`{"n":${n}}\n`);
        if (++n === 4) {
          clearInterval(tick);
          res.end();
        }
      }, 60); // 240 ms in all, past the 150 ms attempt timeout
    });
    const pipeline = createPipeline({ provider: "acme", baseUrl: server.url, timeoutMs: 150, pacing: { limit: Infinity } });

    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "export" } } }, { stream: true });

    expect(result.error).toBeUndefined();
    const text = await new Response(result.data as unknown as ReadableStream<Uint8Array>).text();
    expect(text.trim().split("\n").map((l) => JSON.parse(l) as { n: number })).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
    expect(result.meta.attempts).toHaveLength(1);
    await pipeline.call(operation(), schemas, { params: { path: { thingId: "export" } } }, { stream: true });
    expect(served).toBe(2); // not answered from the cache
  });

  it("treats an infinite or huge timeout as no timeout rather than an instant one", async () => {
    server.handle((_req, res) => void setTimeout(() => json(res, 200, { id: "slow" }), 50));
    for (const timeoutMs of [Infinity, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
      const pipeline = bare({ timeoutMs });
      const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "1" } } });
      expect(result.error).toBeUndefined();
    }
  });

  it("honours the caller's AbortSignal", async () => {
    server.handle(() => undefined); // never answers
    const pipeline = bare({ timeoutMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user navigated away")), 50);
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t1" } } }, { signal: controller.signal });

    expect(result.error).toMatchObject({ kind: "aborted" });
    expect(result.error!.message).toContain("user navigated away");
  });

  it("reports a refused connection as a network error in the connect phase", async () => {
    const closed = await startServer();
    const url = closed.url;
    await closed.close();
    const pipeline = pipelineWith(url, { resilience: false });
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t1" } } });

    expect(result.error).toMatchObject({ kind: "network", phase: "connect", code: "ECONNREFUSED" });
    // A log line alone says which call failed: by the path template, never the filled-in path.
    expect(result.error!.message).toMatch(/^network failure \(ECONNREFUSED\).* \(getThing: GET \/things\/\{thingId\}\)$/);
    expect(result.error!.message).not.toContain("/things/t1");
  });

  it("refuses, unsent and unretried, a base URL on a port fetch blocks (1, 6000, …): a setting to fix, not a network failure", async () => {
    const pipeline = pipelineWith("http://127.0.0.1:1", { clock: new FakeClock({ autoAdvance: true }) });
    const result = await pipeline.call(operation({ method: "post", safety: "unsafe" }), schemas, { params: { path: { thingId: "t1" } }, body: { a: 1 } });

    expect(result.error).toBeInstanceOf(InvalidRequestError);
    expect(result.error!.message).toBe("fetch refuses to connect to http://127.0.0.1:1: its port is one the Fetch standard blocks; use another port");
    // Refused before it went out, as a request that cannot be built is: no attempt, no retry.
    expect(result.meta.attempts).toEqual([]);
  });

  it("reports a connection reset mid-request as a network error whose outcome is unknown", async () => {
    server.handle((req, res) => {
      res.socket?.destroy();
    });
    const pipeline = bare();
    const result = await pipeline.call(operation({ method: "post", safety: "unsafe" }), schemas, {
      params: { path: { thingId: "t1" } },
      body: { a: 1 },
    });
    expect(result.error).toMatchObject({ kind: "network", phase: "request" });
  });

  it("refuses to send a request with a missing path parameter", async () => {
    const before = server.requests.length;
    const pipeline = bare();
    const result = await pipeline.call(operation(), schemas, { params: { path: {} } });

    expect(result.error).toMatchObject({ kind: "invalid-request" });
    expect(result.error!.message).toContain('"thingId"');
    expect(result.meta.attempts).toHaveLength(0);
    expect(server.requests.length).toBe(before);
  });

  it("says where a missing path parameter went: another spelling in params.path, or the top level", async () => {
    const pipeline = bare();
    const misnamed = await pipeline.call(operation(), schemas, { params: { path: { thing_id: "1" } } });
    expect(misnamed.error?.message).toBe('getThing: path parameter "thingId" is required (params.path has "thing_id": the spec names it "thingId")');
    const topLevel = await pipeline.call(operation(), schemas, { thingId: "1" });
    expect(topLevel.error?.message).toBe('getThing: path parameter "thingId" is required (the input\'s top level has it; it goes in params.path: { params: { path: { "thingId": … } } })');
    const inQuery = await pipeline.call(operation(), schemas, { params: { query: { thingId: "1" } } });
    expect(inQuery.error?.message).toBe('getThing: path parameter "thingId" is required (params.query has it; it goes in params.path: { params: { path: { "thingId": … } } })');
  });

  it("refuses a body on GET (some specs declare one; fetch cannot send it) without sending anything", async () => {
    const before = server.requests.length;
    const pipeline = bare();
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "1" } }, body: { q: 1 } });
    expect(result.error).toMatchObject({ kind: "invalid-request", message: "getThing: a GET request cannot carry a body" });
    expect(server.requests.length).toBe(before);
  });

  it("refuses a URL fetch would refuse (unparsable, or with credentials in it) as an invalid request, sending nothing", async () => {
    const before = server.requests.length;
    const withCredentials = pipelineWith(server.url.replace("http://", "http://user:secret@"), { resilience: false });
    const unparsable = pipelineWith("http://[::1", { resilience: false });
    for (const pipeline of [withCredentials, unparsable]) {
      const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "1" } } });
      expect(result.error).toMatchObject({ kind: "invalid-request" });
      // Not in the message, nor in what a log writes of the error (its cause included).
      expect(result.error!.message).not.toContain("secret");
      expect(`${JSON.stringify(result.error)} ${inspect(result.error)}`).not.toContain("secret");
      expect(result.meta.attempts).toHaveLength(0);
    }
    expect(server.requests.length).toBe(before);
  });

  it("refuses a header value HTTP does not allow by the header's name, never repeating the value anywhere a log would write it", async () => {
    const before = server.requests.length;
    const pipeline = bare({ headers: { "X-Api-Key": "sk_live_SECRET\n123" } });
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "1" } } });
    expect(result.error).toMatchObject({ kind: "invalid-request" });
    expect(result.error!.message).toBe('getThing: the header "X-Api-Key" is not valid in HTTP (a line break or another control character?)');
    expect(`${JSON.stringify(result.error)} ${inspect(result.error)}`).not.toContain("SECRET");
    expect(server.requests.length).toBe(before);
  });

  it("adds the client's query parameters (an API key in the query) to every request, where the call sets none of the same name, and nowhere in meta", async () => {
    server.handle((_req, res) => json(res, 200, { id: "k" }));
    const before = server.requests.length;
    const pipeline = bare({ query: { apikey: "s3cret key", lang: "en" } });
    const plain = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t1" } } });
    await pipeline.call(operation(), schemas, { params: { path: { thingId: "t2" }, query: { q: "a", lang: "fr" } } });
    // A server's next link that carries the key already is not given a second one.
    await pipeline.call(operation(), schemas, { params: { path: { thingId: "t3" } }, rawQuery: "cursor=9&apikey=s3cret%20key" });
    expect(server.requests.slice(before).map((r) => r.url)).toEqual([
      "/things/t1?apikey=s3cret%20key&lang=en",
      "/things/t2?q=a&lang=fr&apikey=s3cret%20key",
      "/things/t3?cursor=9&apikey=s3cret%20key&lang=en",
    ]);
    expect(JSON.stringify(plain.meta)).not.toContain("s3cret");
    // An error logged whole does not print its response, whose url holds the key; the response is still there.
    server.handle((_req, res) => json(res, 403, { title: "no" }));
    const refused = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t4" } } });
    expect(refused.error).toMatchObject({ kind: "http", status: 403 });
    expect(`${inspect(refused.error)} ${JSON.stringify(refused.error)}`).not.toContain("s3cret");
    expect((refused.error as { response: Response }).response.url).toContain("apikey=s3cret");
  });

  it("gives a policy the request each attempt sent, with its method, URL and headers", async () => {
    server.handle((_req, res) => json(res, 200, { id: "seen" }));
    const sent: Array<{ method: string; url: string; correlation: string | null }> = [];
    const look: Policy = (next) => async (plan) => {
      const result = await next(plan);
      const request = result.exchange?.request;
      if (request) sent.push({ method: request.method, url: request.url, correlation: request.headers.get("x-correlation-id") });
      return result;
    };
    const result = await bare({ policies: [look] }).call(operation(), schemas, { params: { path: { thingId: "t9" }, query: { q: "a b" } } });

    expect(result.data).toEqual({ id: "seen" });
    expect(sent).toEqual([{ method: "GET", url: `${server.url}/things/t9?q=a%20b`, correlation: result.meta.requestId }]);
  });

  it("serializes JSON and form bodies by the operation's content type", async () => {
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = bare();
    const post = operation({
      method: "post",
      safety: "unsafe",
      path: "/things",
      parameters: { path: [], query: [], header: [], cookie: [] },
      requestBody: { required: true, contentTypes: ["application/x-www-form-urlencoded"] },
    });
    await pipeline.call(post, schemas, { body: { grant_type: "client_credentials", scope: "a b" } });
    expect(server.requests.at(-1)!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(server.requests.at(-1)!.body).toBe("grant_type=client_credentials&scope=a+b");

    await pipeline.call({ ...post, requestBody: { required: true, contentTypes: ["application/json"] } }, schemas, { body: { a: [1] } });
    expect(server.requests.at(-1)!.headers["content-type"]).toBe("application/json");
    expect(server.requests.at(-1)!.body).toBe('{"a":[1]}');
  });

  it("with its own policies off (no idempotency key sent), a write marked repeat is not sent unless the caller vouches for it", async () => {
    server.handle((_req, res) => json(res, 201, { id: "ok" }));
    const pipeline = bare();
    const post = operation({ method: "post", safety: "unsafe", path: "/things", parameters: { path: [], query: [], header: [], cookie: [] } });
    const before = server.requests.length;
    const refused = await pipeline.call(post, schemas, {}, { repeat: true });
    expect(refused.error).toMatchObject({ kind: "unknown-outcome", replaySafe: false });
    expect(server.requests.length).toBe(before);
    expect((await pipeline.call(post, schemas, {}, { repeat: true, replaySafe: true })).error).toBeUndefined();
    expect(server.requests.length).toBe(before + 1);
  });

  it("a client made without a baseUrl (for a spec that names no server) says so, sending nothing", async () => {
    const pipeline = createPipeline({ provider: "test", resilience: false });
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t1" } } });
    expect(result.error).toMatchObject({ kind: "invalid-request" });
    expect(result.error?.message).toBe("getThing: cannot build the request (the client has no baseUrl: pass `baseUrl` when making it)");
  });

  it.each([
    ["api.acme.example/v1", "https://api.acme.example/v1"],
    // Parses as a URL of the scheme `localhost:`: fetch would fail it as a network error, retried.
    ["localhost:4010", "http://localhost:4010"],
    ["ftp://files.acme.example", undefined],
    ["not a url", null],
  ])("a baseUrl that is not an http(s) URL (%s) says so, sending nothing, with every policy on", async (baseUrl, fix) => {
    let fetched = 0;
    const pipeline = createPipeline({ provider: "test", baseUrl, fetch: async () => (fetched++, new Response("{}")) });
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "t1" } } });
    expect(result.error).toMatchObject({ kind: "invalid-request" });
    const remedy = fix === undefined ? "carewire calls http:// and https:// servers" : fix === null ? "it needs to be an absolute URL, as in https://api.example.com/v1" : `it needs its scheme, as in ${fix}`;
    expect(result.error?.message).toBe(`getThing: cannot build the request (the client's baseUrl "${baseUrl}" is not an http(s) URL: ${remedy})`);
    expect(result.meta.attempts).toHaveLength(0);
    expect(fetched).toBe(0);
  });

  it("never sends a media range as the Content-Type: the first declared type that is one, else JSON", async () => {
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = bare();
    const post = (contentTypes: string[]) =>
      operation({ method: "post", safety: "unsafe", path: "/things", parameters: { path: [], query: [], header: [], cookie: [] }, requestBody: { required: true, contentTypes } });
    // As specs made from ASP.NET declare it: the range first.
    await pipeline.call(post(["application/*+json", "application/json", "application/json-patch+json", "text/json"]), schemas, { body: { a: 1 } });
    expect(server.requests.at(-1)!.headers["content-type"]).toBe("application/json");
    expect(server.requests.at(-1)!.body).toBe('{"a":1}');
    await pipeline.call(post(["*/*"]), schemas, { body: { a: 2 } });
    expect(server.requests.at(-1)!.headers["content-type"]).toBe("application/json");
    await pipeline.call(post(["application/*+json", "application/fhir+json"]), schemas, { body: { a: 3 } });
    expect(server.requests.at(-1)!.headers["content-type"]).toBe("application/fhir+json");
  });

  it("merges headers: client defaults, header params, call options, policy headers", async () => {
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const stamp: Policy = (next) => (plan) => next(withHeader(plan, "Idempotency-Key", "k-1"));
    const pipeline = bare({ headers: { "User-Agent": "carewire-test", "X-Tenant": "default" }, policies: [stamp], correlationHeader: "X-Request-Id" });
    const result = await pipeline.call(
      operation(),
      schemas,
      { params: { path: { thingId: "1" }, header: { "X-Tenant": "t-9" } } },
      { headers: { "X-Extra": "1" }, requestId: "trace-abc" },
    );
    const headers = server.requests.at(-1)!.headers;
    expect(headers["user-agent"]).toBe("carewire-test");
    expect(headers["x-tenant"]).toBe("t-9");
    expect(headers["x-extra"]).toBe("1");
    expect(headers["idempotency-key"]).toBe("k-1");
    expect(headers["x-request-id"]).toBe("trace-abc");
    expect(result.meta.requestId).toBe("trace-abc");
  });

  it("lets a policy run several attempts, each with a fresh request carrying the same body", async () => {
    let calls = 0;
    server.handle((_req, res) => {
      calls++;
      if (calls === 1) json(res, 503, { title: "busy" });
      else json(res, 200, { id: "done" });
    });
    const retryOnce: Policy = (next) => async (plan) => {
      const first = await next(plan);
      if (first.exchange?.response.status !== 503) return first;
      const second = await next({ ...plan, attempt: plan.attempt + first.notes.attempts.length, delayMs: 5 });
      return { ...second, notes: joinNotes(first.notes, second.notes) };
    };
    const pipeline = bare({ policies: [retryOnce] });
    const post = operation({ method: "post", safety: "unsafe", requestBody: { required: true, contentTypes: ["application/json"] } });
    const before = server.requests.length;
    const result = await pipeline.call(post, schemas, { params: { path: { thingId: "1" } }, body: { order: 7 } });

    expect(result.data).toEqual({ id: "done" });
    const sent = server.requests.slice(before);
    expect(sent.map((r) => r.body)).toEqual(['{"order":7}', '{"order":7}']);
    expect(sent[0]!.headers["x-correlation-id"]).toBe(sent[1]!.headers["x-correlation-id"]);
    expect(result.meta.attempts.map((a) => [a.attempt, a.status, a.delayMs])).toEqual([
      [1, 503, 0],
      [2, 200, 5],
    ]);
  });

  it("turns anything a policy throws into a typed error instead of rejecting", async () => {
    const broken: Policy = () => () => {
      throw new Error("policy bug");
    };
    const pipeline = bare({ policies: [broken] });
    const result = await pipeline.call(operation(), schemas, { params: { path: { thingId: "1" } } });
    expect(result.error).toMatchObject({ kind: "unexpected", message: "policy bug" });
  });
});
