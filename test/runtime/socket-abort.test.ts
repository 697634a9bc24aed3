/**
 * Node's fetch is aborted through the dispatcher each attempt hands it, not a signal (which
 * costs fetch far more per request). These tests hold that path to what a signal gave: the
 * abort reaches the socket before or after the connection, in the request and in the body;
 * an app's own global dispatcher still carries the request; a fetch that does not dispatch
 * through undici gets the signal; and a script whose server never answers can exit.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import path from "node:path";
import { FakeClock } from "carewire/testing";
import { resetSocketAbortDetection, SocketAbort, socketAbortFor } from "../../src/runtime/wire/socket-abort.js";
import { sendAttempt, type AttemptOptions } from "../../src/runtime/wire/transport.js";
import type { OutgoingRequest } from "../../src/runtime/wire/request.js";
import { startServer, type TestServer } from "../helpers/http-server.js";
import { childTestTimeout, ROOT, runNode, tsxArgs } from "../helpers/cli.js";

const GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");
type Slot = Record<symbol, unknown>;
type Dispatch = (options: object, handler: Record<string, unknown>) => boolean;

/** Puts `dispatcher` in the global dispatcher's place for one test; returns what puts Node's back. */
function replaceGlobalDispatcher(dispatcher: { dispatch: Dispatch } | undefined): () => void {
  const slot = globalThis as unknown as Slot;
  const before = slot[GLOBAL_DISPATCHER];
  slot[GLOBAL_DISPATCHER] = dispatcher;
  return () => {
    slot[GLOBAL_DISPATCHER] = before;
  };
}
const installDispatcher = (dispatch: Dispatch) => replaceGlobalDispatcher({ dispatch });

/**
 * As an app's proxy or counting agent would be: a global dispatcher, installed after carewire
 * loaded, that sees each request (and may change its handler) before Node's own carries it.
 */
function inFrontOfNodes(see: (options: { path: string }, handler: Record<string, unknown>) => Record<string, unknown> | void): () => void {
  const nodes = (globalThis as unknown as Slot)[GLOBAL_DISPATCHER] as { dispatch: Dispatch };
  return installDispatcher((options, handler) => nodes.dispatch(options, see(options as { path: string }, handler) ?? handler));
}

describe("SocketAbort, against a dispatcher of the test's", () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
    resetSocketAbortDetection();
  });

  it("forwards the request, and fetch's handler keeps its own state on `this`", () => {
    let seen: { options: object; handler: Record<string, unknown> } | undefined;
    restore = installDispatcher((options, handler) => {
      seen = { options, handler };
      return true;
    });
    const socket = new SocketAbort();
    const handler = {
      connected: 0,
      onConnect(this: { connected: number }) {
        this.connected += 1;
      },
    };
    expect(socket.dispatcher.dispatch({ path: "/x" }, handler)).toBe(true);
    expect(seen?.options).toEqual({ path: "/x" });
    (seen?.handler["onConnect"] as (abort: () => void) => void).call(seen?.handler, () => undefined);
    expect((seen?.handler as { connected: number }).connected).toBe(1);
  });

  it("aborts with the reason once connected, and at the connection when aborted before it", () => {
    let handler: Record<string, unknown> = {};
    restore = installDispatcher((_options, h) => ((handler = h), true));
    const aborted: unknown[] = [];
    const fetchSide: string[] = [];
    const onConnect = () => fetchSide.push("onConnect");

    const after = new SocketAbort();
    after.dispatcher.dispatch({}, { onConnect });
    (handler["onConnect"] as (abort: (r: Error) => void) => void)((reason) => aborted.push(reason));
    const late = new Error("attempt timeout");
    after.abort(late);
    after.abort(new Error("twice"));
    expect(aborted).toEqual([late]);

    const before = new SocketAbort();
    const early = new Error("early");
    before.abort(early);
    before.dispatcher.dispatch({}, { onConnect });
    expect(aborted).toEqual([late]);
    (handler["onConnect"] as (abort: (r: Error) => void) => void)((reason) => aborted.push(reason));
    // Fetch's own onConnect ran first, so it knows the abort it is about to hear of.
    expect(fetchSide).toEqual(["onConnect", "onConnect"]);
    expect(aborted).toEqual([late, early]);
  });

  it("keeps the controller of undici's newer handler interface", () => {
    let handler: Record<string, unknown> = {};
    restore = installDispatcher((_options, h) => ((handler = h), true));
    const socket = new SocketAbort();
    socket.dispatcher.dispatch({}, { onRequestStart: () => undefined, onConnect: () => undefined });
    const reasons: unknown[] = [];
    (handler["onRequestStart"] as (controller: { abort(r: Error): void }) => void)({ abort: (r) => reasons.push(r) });
    const reason = new Error("attempt timeout");
    socket.abort(reason);
    expect(reasons).toEqual([reason]);
  });

  it("is not offered without a global dispatcher, nor after a fetch answered without dispatching", () => {
    restore = installDispatcher(() => true);
    const unused = socketAbortFor();
    expect(unused).toBeInstanceOf(SocketAbort);
    unused?.confirm();
    expect(socketAbortFor()).toBeUndefined();
    resetSocketAbortDetection();
    restore();
    restore = replaceGlobalDispatcher(undefined);
    expect(socketAbortFor()).toBeUndefined();
  });
});

describe("Node's fetch, aborted through the attempt's dispatcher", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    // Node loads its fetch, and installs the global dispatcher, on the first fetch.
    await fetch(`${server.url}/warm`).then((response) => response.text());
  });
  afterAll(() => server.close());
  afterEach(() => resetSocketAbortDetection());

  const bounds = (extra: Partial<AttemptOptions> = {}): AttemptOptions => ({ fetch: undefined, timeoutMs: 30_000, maxBytes: 1 << 20, maxRedirects: 5, clock: new FakeClock(), ...extra });
  /** A GET as the pipeline builds one; `sent` keeps each init, to see what fetch was handed. */
  const get = (url: string, sent: RequestInit[]) => (): OutgoingRequest => {
    const init: RequestInit = { method: "GET", headers: new Headers(), redirect: "manual" };
    sent.push(init);
    return { url, init };
  };
  const reachedServer = async (url: string) => {
    while (!server.requests.some((r) => r.url === url)) await new Promise((resolve) => setImmediate(resolve));
  };

  it("hands fetch a dispatcher and no signal, and the app's global dispatcher carries the request", async () => {
    server.handle((_req, res) => void res.end("ok"));
    const carried: string[] = [];
    const restore = inFrontOfNodes((options) => void carried.push(options.path));
    try {
      const sent: RequestInit[] = [];
      const exchange = await sendAttempt(get(`${server.url}/carried`, sent), bounds());
      expect(new TextDecoder().decode(exchange.body)).toBe("ok");
      expect(carried).toEqual(["/carried"]);
      expect(sent[0]?.signal).toBeUndefined();
      expect((sent[0] as { dispatcher?: unknown }).dispatcher).toBeDefined();
    } finally {
      restore();
    }
  });

  it("closes the socket when the timer fires while the body is still coming", async () => {
    const closed = new Promise<void>((resolve) =>
      server.handle((_req, res) => {
        res.on("close", () => resolve());
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"partial":');
      }),
    );
    // Sees the headers reach fetch's handler, so the timer fires while the attempt reads the body.
    let headersIn = false;
    const restore = inFrontOfNodes((_options, handler) => {
      const seen = Object.create(handler) as Record<string, unknown>;
      const onHeaders = handler["onHeaders"] as (...args: unknown[]) => unknown;
      seen["onHeaders"] = function (this: unknown, ...args: unknown[]) {
        headersIn = true;
        return onHeaders.apply(this, args);
      };
      return seen;
    });
    try {
      const clock = new FakeClock();
      const sent: RequestInit[] = [];
      const pending = sendAttempt(get(`${server.url}/stalls`, sent), bounds({ clock, timeoutMs: 5_000 })).catch((error: unknown) => error);
      while (!headersIn) await new Promise((resolve) => setImmediate(resolve));
      // The Response resolves in the microtasks after the headers: the attempt is reading the body.
      await new Promise((resolve) => setImmediate(resolve));
      await clock.advance(5_000);
      expect(await pending).toMatchObject({ kind: "timeout", phase: "body" });
      await closed;
      expect((sent[0] as { dispatcher?: unknown }).dispatcher).toBeDefined();
    } finally {
      restore();
    }
  });

  it("sends a Request (a token or discovery request) through the dispatcher too, and its timeout closes the socket", async () => {
    const closed = new Promise<void>((resolve) => server.handle((_req, res) => void res.on("close", () => resolve())));
    const carried: string[] = [];
    const restore = inFrontOfNodes((options) => void carried.push(options.path));
    try {
      const clock = new FakeClock();
      const pending = sendAttempt(() => new Request(`${server.url}/token`, { method: "POST", body: "grant_type=client_credentials", redirect: "manual" }), bounds({ clock, timeoutMs: 5_000 })).catch((error: unknown) => error);
      await reachedServer("/token");
      await clock.advance(5_000);
      expect(await pending).toMatchObject({ kind: "timeout" });
      await closed;
      expect(carried).toEqual(["/token"]);
      // It dispatched through the attempt's dispatcher, so the next attempt is offered one too.
      expect(socketAbortFor()).toBeInstanceOf(SocketAbort);
    } finally {
      restore();
    }
  });

  it("gives a caller's signal to fetch itself, and its abort closes the socket", async () => {
    const closed = new Promise<void>((resolve) => server.handle((_req, res) => void res.on("close", () => resolve())));
    const caller = new AbortController();
    const sent: RequestInit[] = [];
    const pending = sendAttempt(get(`${server.url}/cancelled`, sent), bounds({ signal: caller.signal })).catch((error: unknown) => error);
    await reachedServer("/cancelled");
    caller.abort(new Error("user left"));
    expect(await pending).toMatchObject({ kind: "aborted" });
    await closed;
    expect(sent[0]?.signal).toBeInstanceOf(AbortSignal);
    expect((sent[0] as { dispatcher?: unknown }).dispatcher).toBeUndefined();
  });

  it("switches to the signal once a fetch in globalThis answers without dispatching (a mocking library's)", async () => {
    server.handle((_req, res) => void res.end("ok"));
    const platform = globalThis.fetch;
    // Makes its own request of the URL and init, as an interceptor does, and leaves the dispatcher out.
    globalThis.fetch = (input, init) => {
      const { dispatcher: _dropped, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return platform(input, rest);
    };
    try {
      const sent: RequestInit[] = [];
      await sendAttempt(get(`${server.url}/intercepted`, sent), bounds());
      await sendAttempt(get(`${server.url}/intercepted`, sent), bounds());
      expect((sent[0] as { dispatcher?: unknown }).dispatcher).toBeDefined();
      expect(sent[1]?.signal).toBeInstanceOf(AbortSignal);
      expect((sent[1] as { dispatcher?: unknown }).dispatcher).toBeUndefined();
    } finally {
      globalThis.fetch = platform;
    }
  });

  it(
    "lets a script whose only call timed out on a server that never answers exit by itself",
    async () => {
      const closed = new Promise<void>((resolve) => server.handle((_req, res) => void res.on("close", () => resolve())));
      // Were the socket left open, the child would live until fetch's headers timeout (300 s)
      // and be killed at the child limit: a failure, not a slow pass.
      const child = await runNode(tsxArgs(path.join(ROOT, "test/helpers/hung-call-child.ts"), [server.url]));
      expect(child).toMatchObject({ code: 0, stdout: "timeout\n" });
      await closed;
    },
    childTestTimeout(1),
  );
});
