/**
 * One attempt's bounds, with stub fetches that misbehave as no real server can on demand:
 * a fetch that ignores its signal and never settles, a body that never ends, a body past
 * the cap, and redirects within and across origins.
 */
import { describe, expect, it } from "@jest/globals";
import { FakeClock } from "carewire/testing";
import { sendAttempt, type AttemptOptions, type FetchLike, type RequestFactory } from "../../src/runtime/wire/transport.js";

const make: RequestFactory = () =>
  new Request("http://api.test/things/1", { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json", "idempotency-key": "k1" }, redirect: "manual" });
/** Timeouts run on a manual fake clock: they fire when a test advances it, never on their own. */
const bounds = (fetch: FetchLike, extra: Partial<AttemptOptions> = {}): AttemptOptions => ({ fetch, timeoutMs: 30_000, maxBytes: 1024, maxRedirects: 5, clock: new FakeClock(), ...extra });

/** Settles with the attempt's error (or undefined). */
async function failure(promise: Promise<unknown>): Promise<Record<string, unknown> | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as Record<string, unknown>;
  }
}

const endless = () =>
  new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(new Uint8Array(256)),
  });

describe("sendAttempt", () => {
  it("settles with a timeout when the fetch ignores its signal and never answers, and aborts the fetch's signal", async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | undefined;
    const never: FetchLike = (_request, init) => ((signal = init?.signal), new Promise(() => undefined));
    const pending = failure(sendAttempt(make, bounds(never, { clock })));
    await clock.advance(29_999);
    expect(signal?.aborted).toBe(false);
    await clock.advance(1);
    expect(await pending).toMatchObject({ kind: "timeout", phase: "request", timeoutMs: 30_000 });
    expect(signal?.aborted).toBe(true);
  });

  it("settles with a body timeout when the headers come and the body never does", async () => {
    const clock = new FakeClock();
    let answered = false;
    const stalled: FetchLike = async () => ((answered = true), new Response(new ReadableStream({ pull: () => new Promise(() => undefined) }), { status: 200 }));
    const pending = failure(sendAttempt(make, bounds(stalled, { clock })));
    // The headers are in once the attempt has moved on to the body (a turn after the fetch answered).
    do await new Promise((resolve) => setImmediate(resolve));
    while (!answered);
    await clock.advance(30_000);
    expect(await pending).toMatchObject({ kind: "timeout", phase: "body" });
  });

  it("cancels the body it was reading when the attempt times out, and ends with the timeout even if the source then fails", async () => {
    const clock = new FakeClock();
    let answered = false;
    let cancelled: unknown;
    // A source that, once cancelled, fails its pending read: the attempt's own end still wins.
    const stalled: FetchLike = async () => {
      answered = true;
      let fail: ((error: unknown) => void) | undefined;
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => new Promise<void>((_, reject) => (fail = (error) => (controller.error(error), reject(error)))),
        cancel: (reason) => {
          cancelled = reason ?? "cancelled";
          fail?.(new Error("socket destroyed"));
        },
      });
      return new Response(body, { status: 200 });
    };
    const pending = failure(sendAttempt(make, bounds(stalled, { clock })));
    do await new Promise((resolve) => setImmediate(resolve));
    while (!answered);
    await clock.advance(30_000);
    expect(await pending).toMatchObject({ kind: "timeout", phase: "body" });
    expect(cancelled).toBeDefined();
  });

  it("ends a body read at once, typed, when the caller aborts, and cancels the body", async () => {
    const controller = new AbortController();
    let cancelled = false;
    let answered = false;
    const stalled: FetchLike = async () => (
      (answered = true), new Response(new ReadableStream({ pull: () => new Promise(() => undefined), cancel: () => void (cancelled = true) }), { status: 200 })
    );
    const pending = failure(sendAttempt(make, bounds(stalled, { signal: controller.signal })));
    do await new Promise((resolve) => setImmediate(resolve));
    while (!answered);
    controller.abort(new Error("user left"));
    expect(await pending).toMatchObject({ kind: "aborted" });
    expect(cancelled).toBe(true);
  });

  it("clears its timer when the attempt ends, so a later advance fires nothing", async () => {
    const clock = new FakeClock();
    const ok: FetchLike = async () => new Response("{}", { status: 200, headers: { "content-type": "application/json", "content-length": "2" } });
    const exchange = await sendAttempt(make, bounds(ok, { clock }));
    expect(new TextDecoder().decode(exchange.body)).toBe("{}");
    await clock.advance(60_000);
    expect(clock.pending).toBe(0);
  });

  it("stops reading at the byte cap, whatever the body's length", async () => {
    const huge: FetchLike = async () => new Response(endless(), { status: 200 });
    expect(await failure(sendAttempt(make, bounds(huge)))).toMatchObject({ kind: "limit-exceeded", limit: "response-bytes", max: 1024 });
  });

  it("refuses an honest Content-Length over the cap without reading", async () => {
    const declared: FetchLike = async () => new Response("x".repeat(2048), { status: 200, headers: { "content-length": "2048" } });
    expect(await failure(sendAttempt(make, bounds(declared)))).toMatchObject({ kind: "limit-exceeded", limit: "response-bytes" });
  });

  it("ends at once, typed, when the caller aborts mid-attempt", async () => {
    const controller = new AbortController();
    const never: FetchLike = () => new Promise(() => undefined);
    const pending = failure(sendAttempt(make, bounds(never, { signal: controller.signal })));
    controller.abort(new Error("user left"));
    expect(await pending).toMatchObject({ kind: "aborted" });
  });

  it("keeps the request's filled-in path out of a network error's message, though the error under fetch quotes it", async () => {
    const quoting: FetchLike = () => Promise.reject(new TypeError("fetch failed", { cause: new Error("Mock dispatch not matched for path '/things/1?name=Lovelace'") }));
    const error = await failure(sendAttempt(() => new Request("http://api.test/things/1?name=Lovelace"), bounds(quoting)));
    expect(error).toMatchObject({ kind: "network" });
    expect(String(error?.message)).toContain("Mock dispatch not matched for path '…'");
    expect(String(error?.message)).not.toMatch(/things\/1|Lovelace/);
  });

  it("follows a same-origin 307 with the same method, body and Idempotency-Key", async () => {
    const seen: Array<{ url: string; method: string; body: string; key: string | null }> = [];
    const fetch: FetchLike = async (request) => {
      seen.push({ url: request.url, method: request.method, body: await request.text(), key: request.headers.get("idempotency-key") });
      return seen.length === 1 ? new Response(null, { status: 307, headers: { location: "/v2/things/1" } }) : new Response('{"ok":true}', { status: 201 });
    };
    const exchange = await sendAttempt(make, bounds(fetch));
    expect(exchange.response.status).toBe(201);
    expect(seen).toEqual([
      { url: "http://api.test/things/1", method: "POST", body: '{"a":1}', key: "k1" },
      { url: "http://api.test/v2/things/1", method: "POST", body: '{"a":1}', key: "k1" },
    ]);
  });

  it("turns a 303 after a POST into a GET without a body", async () => {
    const seen: Array<{ method: string; body: string; type: string | null }> = [];
    const fetch: FetchLike = async (request) => {
      seen.push({ method: request.method, body: await request.text(), type: request.headers.get("content-type") });
      return seen.length === 1 ? new Response(null, { status: 303, headers: { location: "/things/1/result" } }) : new Response("{}", { status: 200 });
    };
    await sendAttempt(make, bounds(fetch));
    expect(seen[1]).toEqual({ method: "GET", body: "", type: null });
  });

  it("refuses a redirect to another origin without sending anything there", async () => {
    const urls: string[] = [];
    const fetch: FetchLike = async (request) => {
      urls.push(request.url);
      return new Response(null, { status: 308, headers: { location: "http://elsewhere.test/collect?mrn=123" } });
    };
    const error = await failure(sendAttempt(make, bounds(fetch)));
    expect(error).toMatchObject({ kind: "untrusted-url", expectedOrigin: "http://api.test" });
    expect(String(error!.message)).not.toContain("mrn");
    expect(urls).toEqual(["http://api.test/things/1"]);
  });

  it("stops a redirect loop at maxRedirects", async () => {
    let hops = 0;
    const fetch: FetchLike = async () => new Response(null, { status: 302, headers: { location: `/loop/${hops++}` } });
    expect(await failure(sendAttempt(make, bounds(fetch, { maxRedirects: 3 })))).toMatchObject({ kind: "limit-exceeded", limit: "redirects", max: 3 });
    expect(hops).toBe(4);
  });

  it("hands a 3xx back as it is when following is off", async () => {
    const fetch: FetchLike = async () => new Response(null, { status: 302, headers: { location: "http://elsewhere.test/" } });
    const exchange = await sendAttempt(make, bounds(fetch, { maxRedirects: 0 }));
    expect(exchange.response.status).toBe(302);
  });
});
