/**
 * The guards that end paging with a typed error instead of following a server anywhere or
 * for ever: a next link to another origin, a cursor that comes back, a bound on pages, the
 * caller's abort, a checkpoint saved for another iteration, a body that says "more" with no
 * way to it. The server is a scripted fetch: each test states the pages it answers.
 */
import { describe, expect, it } from "@jest/globals";
import {
  AbortedError,
  CheckpointMismatchError,
  createPipeline,
  LimitExceededError,
  InvalidRequestError,
  MalformedResponseError,
  memoryPagingCheckpoint,
  pagingMethods,
  RepeatedCursorError,
  TimeoutError,
  UntrustedUrlError,
  type FetchLike,
  type PaginationDescriptor,
  type PagingMethods,
} from "carewire";
import { FakeClock } from "carewire/testing";
import { testOperation } from "../helpers/operation.js";

const BASE = "https://api.example.com/v2";

/** A server that answers each request with `answer(url)`; every URL asked for is in `asked`. */
function scripted(answer: (url: URL) => { body: unknown; headers?: Record<string, string> }) {
  const asked: string[] = [];
  const fetch: FetchLike = async (request) => {
    const url = new URL(request instanceof Request ? request.url : String(request));
    asked.push(url.href);
    const { body, headers } = answer(url);
    return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json", ...headers } });
  };
  return { asked, fetch };
}

function paging(pagination: PaginationDescriptor, fetch: FetchLike): PagingMethods {
  const pipeline = createPipeline({ provider: "guarded", baseUrl: BASE, fetch, clock: new FakeClock({ autoAdvance: true }), retry: false, cache: false });
  const operation = testOperation({ operationId: "listThings", name: "listThings", path: "/things", parameters: { path: [], query: [], header: [], cookie: [] }, pagination });
  return pagingMethods({ pipeline, baseUrl: BASE }, operation, { responses: {} })!;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of iterable) items.push(item);
    return { items, error: undefined };
  } catch (error) {
    return { items, error };
  }
}

describe("paging guards", () => {
  it("a Link to another origin is refused before anything is sent there; the page before it is handed over", async () => {
    const server = scripted(() => ({ body: [{ id: 1 }, { id: 2 }], headers: { link: '<https://elsewhere.example.net/v2/things?page=2>; rel="next"' } }));
    const { items, error } = await collect(paging({ style: "link", items: [], source: "hint" }, server.fetch).all());
    expect(items).toEqual([{ id: 1 }, { id: 2 }]);
    expect(error).toBeInstanceOf(UntrustedUrlError);
    expect((error as UntrustedUrlError).kind).toBe("untrusted-url");
    expect((error as UntrustedUrlError).meta?.operationId).toBe("listThings");
    expect(server.asked).toEqual([`${BASE}/things`]);
  });

  it("a next URL on the same origin but outside the base path is refused too", async () => {
    const server = scripted(() => ({ body: { results: [{ id: 1 }], next: "https://api.example.com/admin/things?page=2" } }));
    const { error } = await collect(paging({ style: "next-url", items: ["results"], url: ["next"], source: "hint" }, server.fetch).all());
    expect(error).toBeInstanceOf(UntrustedUrlError);
    expect(server.asked).toHaveLength(1);
  });

  it("relative and same-origin links are followed under the base URL", async () => {
    const server = scripted((url) => {
      const page = Number(url.searchParams.get("page") ?? 1);
      const next: Record<string, string> = page === 1 ? { link: '</v2/things?page=2>; rel="next"' } : page === 2 ? { link: `<${BASE}/things?page=3>; rel="last next"` } : {};
      return { body: [{ id: page }], headers: next };
    });
    const { items, error } = await collect(paging({ style: "link", items: [], source: "hint" }, server.fetch).all());
    expect(error).toBeUndefined();
    expect(items).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it("a cursor the server hands back twice ends paging with RepeatedCursorError, not a loop", async () => {
    const server = scripted(() => ({ body: { data: [{ id: "a" }], next_cursor: "same" } }));
    const { items, error } = await collect(paging({ style: "cursor", items: ["data"], param: "cursor", cursor: ["next_cursor"], source: "hint" }, server.fetch).all());
    expect(error).toBeInstanceOf(RepeatedCursorError);
    expect((error as RepeatedCursorError).kind).toBe("malformed-response");
    expect((error as RepeatedCursorError).pagesRead).toBe(2);
    expect(items).toHaveLength(2);
    expect(server.asked).toEqual([`${BASE}/things`, `${BASE}/things?cursor=same`]);
  });

  it("stops after maxPages with LimitExceededError (pages), having handed over those pages", async () => {
    const server = scripted((url) => ({ body: { items: [{ n: Number(url.searchParams.get("offset") ?? 0) }], has_more: true } }));
    const { items, error } = await collect(paging({ style: "offset", items: ["items"], param: "offset", hasMore: ["has_more"], source: "hint" }, server.fetch).all({}, { maxPages: 3 }));
    expect(items).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toMatchObject({ kind: "limit-exceeded", limit: "pages", max: 3 });
    expect(server.asked).toHaveLength(3);
  });

  it("with a checkpoint, a run stopped by the page bound is continued by the next run", async () => {
    const server = scripted((url) => {
      const offset = Number(url.searchParams.get("offset") ?? 0);
      return { body: { items: offset < 5 ? [{ n: offset }] : [], has_more: offset < 4 } };
    });
    const methods = paging({ style: "offset", items: ["items"], param: "offset", hasMore: ["has_more"], source: "hint" }, server.fetch);
    const checkpoint = { store: memoryPagingCheckpoint(), name: "things" };
    const first = await collect(methods.all({}, { maxPages: 2, checkpoint }));
    const second = await collect(methods.all({}, { maxPages: 2, checkpoint }));
    const third = await collect(methods.all({}, { maxPages: 2, checkpoint }));
    expect(first.error).toBeInstanceOf(LimitExceededError);
    expect(second.error).toBeInstanceOf(LimitExceededError);
    expect(third.error).toBeUndefined();
    expect([...first.items, ...second.items, ...third.items]).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    // Finished: a fourth run has nothing left to read until the checkpoint is cleared.
    expect((await collect(methods.all({}, { checkpoint }))).items).toEqual([]);
    await checkpoint.store.clear("things");
    expect((await collect(methods.all({}, { checkpoint }))).items).toHaveLength(5);
  });

  it("an AbortSignal stops paging between pages with AbortedError", async () => {
    const server = scripted((url) => ({ body: { data: [{ page: Number(url.searchParams.get("page") ?? 1) }], nextPage: Number(url.searchParams.get("page") ?? 1) + 1 } }));
    const controller = new AbortController();
    const seen: unknown[] = [];
    const { error } = await collect(
      (async function* () {
        for await (const item of paging({ style: "page", items: ["data"], param: "page", nextPage: ["nextPage"], source: "hint" }, server.fetch).all({}, { signal: controller.signal })) {
          seen.push(item);
          if (seen.length === 2) controller.abort(new Error("the user left"));
          yield item;
        }
      })(),
    );
    expect(error).toBeInstanceOf(AbortedError);
    expect(seen).toEqual([{ page: 1 }, { page: 2 }]);
    expect(server.asked).toHaveLength(2);
  });

  it("a checkpoint saved for another input is refused with CheckpointMismatchError", async () => {
    const server = scripted(() => ({ body: { data: [{ id: "x" }], has_more: true } }));
    const methods = paging({ style: "cursor", items: ["data"], param: "starting_after", cursorFromItem: ["id"], hasMore: ["has_more"], source: "hint" }, server.fetch);
    const checkpoint = { store: memoryPagingCheckpoint(), name: "sync" };
    // Two pages asked for: the first is handled, its position saved.
    const first = methods.pages({ params: { query: { email: "a@example.org" } } }, { checkpoint });
    await first.next();
    await first.next();
    await first.return();
    expect(await checkpoint.store.load("sync")).toMatchObject({ pagesRead: 1 });
    await expect(methods.pages({ params: { query: { email: "b@example.org" } } }, { checkpoint }).next()).rejects.toMatchObject({ kind: "invalid-request", checkpointName: "sync" });
    await expect(methods.pages({ params: { query: { email: "b@example.org" } } }, { checkpoint }).next()).rejects.toBeInstanceOf(CheckpointMismatchError);
    expect(server.asked).toHaveLength(2);
  });

  it("a body that says more follow but gives no cursor is a MalformedResponseError, not a quiet end", async () => {
    const server = scripted(() => ({ body: { data: [], has_more: true } }));
    const { error } = await collect(paging({ style: "cursor", items: ["data"], param: "starting_after", cursorFromItem: ["id"], hasMore: ["has_more"], source: "hint" }, server.fetch).all());
    expect(error).toBeInstanceOf(MalformedResponseError);
  });

  it("a page without an items array is a MalformedResponseError carrying the page's meta", async () => {
    const server = scripted(() => ({ body: { data: "nope" } }));
    const { error } = await collect(paging({ style: "link", items: ["data"], source: "hint" }, server.fetch).all());
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).meta?.operationId).toBe("listThings");
  });
});

describe("paging options", () => {
  it.each([
    [{ maxPages: 0 }, /maxPages must be a whole number/],
    [{ pageSize: 2.5 }, /pageSize must be a whole number/],
    [{ pageSize: 10 }, /no page-size parameter/],
  ])("%j is refused with InvalidRequestError before anything is sent", async (options, message) => {
    const server = scripted(() => ({ body: [] }));
    const pages = paging({ style: "link", items: [], source: "hint" }, server.fetch).pages({}, options);
    await expect(pages.next()).rejects.toThrow(message);
    await expect(paging({ style: "link", items: [], source: "hint" }, server.fetch).pages({}, options).next()).rejects.toBeInstanceOf(InvalidRequestError);
    expect(server.asked).toEqual([]);
  });
});

describe("each page call is bounded on its own", () => {
  /** Answers page 1 at once, then holds every request until its signal aborts (a server that hangs). */
  function hangsAfterFirstPage() {
    let calls = 0;
    const fetch: FetchLike = (_request, init) => {
      calls++;
      if (calls === 1) return Promise.resolve(new Response(JSON.stringify({ data: [{ id: "a" }], next_cursor: "b" }), { status: 200, headers: { "content-type": "application/json" } }));
      return new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }));
    };
    return fetch;
  }
  const cursor: PaginationDescriptor = { style: "cursor", items: ["data"], param: "cursor", cursor: ["next_cursor"], source: "hint" };

  it("a page that takes longer than timeoutMs ends paging with TimeoutError after the pages before it", async () => {
    const pipeline = createPipeline({ provider: "guarded", baseUrl: BASE, fetch: hangsAfterFirstPage(), retry: false, cache: false, timeoutMs: 30 });
    const operation = testOperation({ operationId: "listThings", name: "listThings", path: "/things", parameters: { path: [], query: [], header: [], cookie: [] }, pagination: cursor });
    const { items, error } = await collect(pagingMethods({ pipeline, baseUrl: BASE }, operation, { responses: {} })!.all());
    expect(items).toEqual([{ id: "a" }]);
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it("aborting while a page call is in flight ends paging with AbortedError", async () => {
    const pipeline = createPipeline({ provider: "guarded", baseUrl: BASE, fetch: hangsAfterFirstPage(), retry: false, cache: false, timeoutMs: 60_000 });
    const operation = testOperation({ operationId: "listThings", name: "listThings", path: "/things", parameters: { path: [], query: [], header: [], cookie: [] }, pagination: cursor });
    const controller = new AbortController();
    const pages = pagingMethods({ pipeline, baseUrl: BASE }, operation, { responses: {} })!.pages({}, { signal: controller.signal });
    await pages.next();
    const second = pages.next();
    setImmediate(() => controller.abort(new Error("shutting down")));
    await expect(second).rejects.toBeInstanceOf(AbortedError);
  });
});
