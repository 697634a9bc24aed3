/**
 * Reads `x-carewire-pagination`: how a list operation pages, said by the spec's author.
 *
 *     x-carewire-pagination:
 *       style: cursor            # cursor | offset | page | link | next-url
 *       items: data              # dotted path to the items array; "" for a bare array
 *       param: starting_after    # the query parameter the cursor, offset or page goes in
 *       cursorFromItem: id       # cursor: taken from the last item (or `cursor: next_page.offset` from the body)
 *       hasMore: has_more        # optional: paging ends when this flag is not true
 *       sizeParam: limit         # optional: the page-size parameter
 *
 * `x-carewire-pagination: false` turns detection off for the operation. A malformed hint is
 * a spec error: paging that silently misreads a body would skip or repeat records.
 */
import type { BodyPath, PaginationDescriptor, PaginationStyle } from "../runtime/pagination/descriptor.js";
import { fail, nonEmptyString, object, oneOf, positiveInt, rejectUnknown, sub, HINT_KEYS, type HintContext } from "./hints.js";

const STYLES = ["cursor", "offset", "page", "link", "next-url"] as const satisfies readonly PaginationStyle[];

/** Fields each style takes beside `style`, `items` and `sizeParam`. */
const FIELDS: Record<PaginationStyle, readonly string[]> = {
  cursor: ["param", "cursor", "cursorFromItem", "hasMore"],
  offset: ["param", "hasMore", "total"],
  page: ["param", "firstPage", "nextPage", "hasMore"],
  link: [],
  "next-url": ["url"],
};

/** The operation's hint: a descriptor, `false` (never page it), or undefined (none given: detection decides). */
export function readPaginationHint(raw: unknown, queryParams: ReadonlySet<string>, ctx: HintContext): PaginationDescriptor | false | undefined {
  if (raw === undefined) return undefined;
  if (raw === false) return false;
  const at = sub(ctx, HINT_KEYS.pagination);
  const hint = object(raw, at);
  const style = oneOf(hint.style, STYLES, sub(at, "style"));
  rejectUnknown(hint, ["style", "items", "sizeParam", ...FIELDS[style]], at);
  if (hint.items === undefined) fail(at, `names no items path (e.g. items: data, or "" for a bare array)`);
  const base = {
    items: bodyPath(hint.items, sub(at, "items"), true),
    ...(hint.sizeParam === undefined ? {} : { sizeParam: queryParam(hint.sizeParam, queryParams, sub(at, "sizeParam")) }),
    source: "hint" as const,
  };
  const optionalPath = (key: string): { [k: string]: BodyPath } => (hint[key] === undefined ? {} : { [key]: bodyPath(hint[key], sub(at, key), false) });
  switch (style) {
    case "cursor": {
      if ((hint.cursor === undefined) === (hint.cursorFromItem === undefined)) fail(at, "a cursor style needs exactly one of cursor (a body path) or cursorFromItem (a path in the last item)");
      return { style, ...base, param: queryParam(hint.param, queryParams, sub(at, "param")), ...optionalPath("cursor"), ...optionalPath("cursorFromItem"), ...optionalPath("hasMore") };
    }
    case "offset":
      return { style, ...base, param: queryParam(hint.param, queryParams, sub(at, "param")), ...optionalPath("hasMore"), ...optionalPath("total") };
    case "page":
      return {
        style,
        ...base,
        param: queryParam(hint.param, queryParams, sub(at, "param")),
        ...(hint.firstPage === undefined ? {} : { firstPage: hint.firstPage === 0 ? 0 : positiveInt(hint.firstPage, sub(at, "firstPage")) }),
        ...optionalPath("nextPage"),
        ...optionalPath("hasMore"),
      };
    case "link":
      return { style, ...base };
    case "next-url":
      return { style, ...base, url: bodyPath(hint.url, sub(at, "url"), false) };
  }
}

/** `next_page.offset` → `["next_page", "offset"]`; `""` (the body itself) only where allowed. */
function bodyPath(raw: unknown, ctx: HintContext, mayBeBody: boolean): BodyPath {
  if (raw === "" && mayBeBody) return [];
  const text = nonEmptyString(raw, ctx);
  const keys = text.split(".");
  if (keys.some((k) => k === "")) fail(ctx, `"${text}" is not a dotted path of property names`);
  return keys;
}

/** The parameter must be one of the operation's query parameters: a typo would send a cursor the server ignores, and page 1 forever. */
function queryParam(raw: unknown, queryParams: ReadonlySet<string>, ctx: HintContext): string {
  const name = nonEmptyString(raw, ctx);
  if (!queryParams.has(name)) fail(ctx, `"${name}" is not a query parameter of this operation`);
  return name;
}
