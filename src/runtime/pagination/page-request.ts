/**
 * What to ask for next, per paging style. A page request is plain JSON (so a checkpoint
 * can keep it): query parameters laid over the caller's own, or a server link under the
 * base URL. Every decision reads the page's body (and, for links, its headers) once.
 */
import { MalformedResponseError } from "../core/errors.js";
import type { LinkTarget } from "../wire/link-target.js";
import { valueAt } from "./body-path.js";
import type { PaginationDescriptor } from "./descriptor.js";
import { nextLinkOf } from "./link-header.js";

export type PageRequest =
  /** The operation with these query parameters over the caller's. */
  | { readonly kind: "query"; readonly query: Readonly<Record<string, string | number>> }
  /** A link the server gave, already checked to be under the base URL. */
  | { readonly kind: "link"; readonly path: string; readonly query: string };

/** The request for the first page: the caller's query, with the page size when asked for one. */
export function firstRequest(paging: PaginationDescriptor, pageSize: number | undefined): PageRequest {
  return { kind: "query", query: pageSize !== undefined && paging.sizeParam !== undefined ? { [paging.sizeParam]: pageSize } : {} };
}

export interface ReadPage {
  readonly data: unknown;
  readonly items: readonly unknown[];
  readonly response: Response;
  /** The caller's own query parameters (where an offset or page number may start). */
  readonly callerQuery: Readonly<Record<string, unknown>>;
}

/**
 * The request for the page after `page`, or undefined when `page` was the last.
 * `resolveLink` refuses a link that leaves the base URL (it throws UntrustedUrlError).
 */
export function nextRequest(paging: PaginationDescriptor, current: PageRequest, page: ReadPage, resolveLink: (link: string) => LinkTarget): PageRequest | undefined {
  const { data, items } = page;
  const more = (path: readonly string[] | undefined) => (path === undefined ? undefined : valueAt(data, path) === true);
  const withParam = (name: string, value: string | number): PageRequest => ({ kind: "query", query: { ...(current.kind === "query" ? current.query : {}), [name]: value } });
  switch (paging.style) {
    case "cursor": {
      if (more(paging.hasMore) === false) return undefined;
      const cursor = paging.cursor !== undefined ? valueAt(data, paging.cursor) : items.length === 0 ? undefined : valueAt(items[items.length - 1], paging.cursorFromItem ?? ["id"]);
      if (cursor === undefined || cursor === null || cursor === "") {
        // A body that says there is more but gives no way to it: stopping here would look like the end.
        if (paging.hasMore !== undefined) throw new MalformedResponseError("the page says more follow but carries no cursor to them", page.response.status, "");
        return undefined;
      }
      if (typeof cursor !== "string" && typeof cursor !== "number") throw new MalformedResponseError("the page's cursor is neither a string nor a number", page.response.status, "");
      return withParam(paging.param, cursor);
    }
    case "offset": {
      if (items.length === 0 || more(paging.hasMore) === false) return undefined;
      const offset = numberOf(current.kind === "query" ? current.query[paging.param] : undefined) ?? numberOf(page.callerQuery[paging.param]) ?? 0;
      const next = offset + items.length;
      const total = paging.total === undefined ? undefined : numberOf(valueAt(data, paging.total));
      if (total !== undefined && next >= total) return undefined;
      return withParam(paging.param, next);
    }
    case "page": {
      if (paging.nextPage !== undefined) {
        const next = valueAt(data, paging.nextPage);
        if (next === undefined || next === null) return undefined;
        const number = numberOf(next);
        if (number === undefined) throw new MalformedResponseError("the page's next page number is not a number", page.response.status, "");
        return withParam(paging.param, number);
      }
      if (items.length === 0 || more(paging.hasMore) === false) return undefined;
      const number = numberOf(current.kind === "query" ? current.query[paging.param] : undefined) ?? numberOf(page.callerQuery[paging.param]) ?? paging.firstPage ?? 1;
      return withParam(paging.param, number + 1);
    }
    case "link": {
      const link = nextLinkOf(page.response.headers.get("link"));
      return link === undefined ? undefined : { kind: "link", ...resolveLink(link) };
    }
    case "next-url": {
      const link = valueAt(data, paging.url);
      if (link === undefined || link === null || link === "") return undefined;
      if (typeof link !== "string") throw new MalformedResponseError("the page's next URL is not a string", page.response.status, "");
      return { kind: "link", ...resolveLink(link) };
    }
  }
}

function numberOf(value: unknown): number | undefined {
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
}
