/**
 * A stateful list served in pages the way the operation's registry entry says it pages
 * (`x-carewire-pagination` or the detected style), so a client's paging can be tested
 * against the simulator: Stripe-like cursors (`starting_after` + `has_more`), opaque body
 * tokens (`next_page.offset`), numeric offsets, page numbers, RFC 8288 Link headers and
 * next URLs in the body. Links are relative to the request's own path, as a server behind
 * any host name would send them.
 */
import { isObject, type JsonObject } from "../../codegen/json.js";
import { valueAt } from "../../runtime/pagination/body-path.js";
import type { BodyPath, PaginationDescriptor } from "../../runtime/pagination/descriptor.js";
import { problemBody } from "./problem.js";
import type { HandlerResult } from "./render.js";

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 1000;
/** The query parameter a link or next URL carries the page number in. */
const LINK_PAGE_PARAM = "page";
const TOKEN_PREFIX = "sim-offset-";

/**
 * One page of `items` (every item of the collection, in order) in the list's body shape.
 * `show` turns a stored item into what the list shows; it runs on the page's items only.
 */
export function pagedList(paging: PaginationDescriptor, items: readonly unknown[], sampled: unknown, url: URL, show: (item: unknown) => unknown): HandlerResult {
  const query = url.searchParams;
  const sizeText = paging.sizeParam === undefined ? null : query.get(paging.sizeParam);
  const size = Math.max(1, Math.min(MAX_PAGE_SIZE, Number(sizeText ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE));
  const start = startOf(paging, items, query, size);
  if (start === undefined) return { status: 400, body: problemBody({ status: 400, title: "Bad Request", detail: "the paging cursor is not one this server issued" }), contentType: "application/problem+json" };
  const end = Math.min(items.length, start + size);
  const more = end < items.length;
  const body = withAt(sampled, paging.items, items.slice(start, end).map(show));
  const set = (path: BodyPath | undefined, value: unknown) => {
    if (path !== undefined) Object.assign(body, withAt(body, path, value));
  };
  const linkTo = (page: number) => {
    const next = new URLSearchParams(query);
    next.set(LINK_PAGE_PARAM, String(page));
    return `${url.pathname}?${next}`;
  };
  const pageNumber = Math.floor(start / size) + 1;
  // Fields a list body commonly echoes (`page`, `pageSize`, `total`), kept true where the sample has them.
  if (isObject(body)) {
    if (paging.style === "page" && paging.param in body) body[paging.param] = pageNumber - 1 + (paging.firstPage ?? 1);
    if (paging.sizeParam !== undefined && paging.sizeParam in body) body[paging.sizeParam] = size;
    if ("total" in body) body.total = items.length;
  }
  switch (paging.style) {
    case "cursor":
      set(paging.hasMore, more);
      // At the end the cursor's container goes null (Asana's `next_page: null`), not just the cursor.
      if (paging.cursor !== undefined) set(more ? paging.cursor : paging.cursor.slice(0, 1), more ? `${TOKEN_PREFIX}${end}` : null);
      return { status: 200, body };
    case "offset":
      set(paging.hasMore, more);
      set(paging.total, items.length);
      return { status: 200, body };
    case "page":
      set(paging.hasMore, more);
      set(paging.nextPage, more ? pageNumber + (paging.firstPage ?? 1) : null);
      return { status: 200, body };
    case "link": {
      // As GitHub sends them: next first, then the last page.
      const last = Math.max(1, Math.ceil(items.length / size));
      return { status: 200, body, ...(more ? { headers: { link: `<${linkTo(pageNumber + 1)}>; rel="next", <${linkTo(last)}>; rel="last"` } } : {}) };
    }
    case "next-url":
      set(paging.url, more ? linkTo(pageNumber + 1) : null);
      return { status: 200, body };
  }
}

/** How many items a list the simulator holds no resources for is made of: a few pages at the default size. */
export const SAMPLED_LIST_LENGTH = 45;

/**
 * The items of a pageable list the simulator holds no resources for (a read-only list, with
 * no create to fill it): copies of the sampled page's first item, each with its own id where
 * the paging reads a cursor from the item, so a client's paging can still be tested. The
 * same on every request.
 */
export function sampledItems(paging: PaginationDescriptor, sampled: unknown, count = SAMPLED_LIST_LENGTH): unknown[] {
  const listed = valueAt(sampled, paging.items);
  const template = Array.isArray(listed) && listed.length > 0 ? listed[0] : {};
  const idPath = paging.style === "cursor" && paging.cursor === undefined ? (paging.cursorFromItem ?? ["id"]) : undefined;
  return Array.from({ length: count }, (_, i) => {
    const item: unknown = structuredClone(template);
    if (idPath === undefined || idPath.length === 0 || !isObject(item)) return item;
    const id = `${String(valueAt(item, idPath) ?? "item")}_${String(i + 1).padStart(3, "0")}`;
    return withAt(item, idPath, id);
  });
}

/** Where the requested page starts, or undefined for a cursor this server never issued. */
function startOf(paging: PaginationDescriptor, items: readonly unknown[], query: URLSearchParams, size: number): number | undefined {
  const number = (name: string, fallback: number) => {
    const value = Number(query.get(name) ?? fallback);
    return Number.isInteger(value) && value >= 0 ? value : fallback;
  };
  switch (paging.style) {
    case "cursor": {
      const cursor = query.get(paging.param);
      if (cursor === null || cursor === "") return 0;
      if (paging.cursor !== undefined) {
        const offset = cursor.startsWith(TOKEN_PREFIX) ? Number(cursor.slice(TOKEN_PREFIX.length)) : NaN;
        return Number.isInteger(offset) && offset >= 0 ? offset : undefined;
      }
      const path = paging.cursorFromItem ?? ["id"];
      const at = items.findIndex((item) => String(valueAt(item, path)) === cursor);
      return at < 0 ? undefined : at + 1;
    }
    case "offset":
      return number(paging.param, 0);
    case "page":
      return Math.max(0, number(paging.param, paging.firstPage ?? 1) - (paging.firstPage ?? 1)) * size;
    case "link":
    case "next-url":
      return (Math.max(1, number(LINK_PAGE_PARAM, 1)) - 1) * size;
  }
}

/** A copy of `body` (an object, or the value itself for the empty path) with `value` at `path`: a resource in its envelope, items in a page. */
export function withAt(body: unknown, path: BodyPath, value: unknown): JsonObject {
  if (path.length === 0) return value as JsonObject;
  const out: JsonObject = isObject(body) ? { ...body } : {};
  let node = out;
  path.forEach((key, i) => {
    if (i === path.length - 1) node[key] = value;
    else node = node[key] = isObject(node[key]) ? { ...(node[key] as JsonObject) } : {};
  });
  return out;
}
