/**
 * How one operation pages, as codegen found it (an `x-carewire-pagination` hint, or a style
 * detected from the spec) and wrote it into the operation's registry entry. A path is the
 * list of keys from the response body down to a value; `[]` is the body itself.
 */
export type BodyPath = readonly string[];

interface PagingBase {
  /** Where the page's items are: `["data"]` (Stripe, Asana), `[]` for a bare array (GitHub). */
  readonly items: BodyPath;
  /** The query parameter that sets the page size (`limit`, `per_page`), when the spec has one. */
  readonly sizeParam?: string;
  /** Whether the spec said so (`hint`) or carewire recognised a common style (`detected`). */
  readonly source: "hint" | "detected";
}

/**
 * An opaque cursor sent back in `param`: read from the body at `cursor` (Asana's
 * `next_page.offset`), or taken from the last item at `cursorFromItem` (Stripe: its `id`,
 * sent as `starting_after`). With `hasMore`, paging ends when that flag is not `true`.
 */
export interface CursorPaging extends PagingBase {
  readonly style: "cursor";
  readonly param: string;
  readonly cursor?: BodyPath;
  readonly cursorFromItem?: BodyPath;
  readonly hasMore?: BodyPath;
}

/** A numeric offset in `param`, moved on by the number of items each page had. */
export interface OffsetPaging extends PagingBase {
  readonly style: "offset";
  readonly param: string;
  readonly hasMore?: BodyPath;
  /** The count of all items, when the body says it: paging ends at it. */
  readonly total?: BodyPath;
}

/** A page number in `param` (from `firstPage`, default 1); the next one from the body at `nextPage`, else the number plus one. */
export interface PageNumberPaging extends PagingBase {
  readonly style: "page";
  readonly param: string;
  readonly firstPage?: number;
  readonly nextPage?: BodyPath;
  readonly hasMore?: BodyPath;
}

/** The next page's URL in an RFC 8288 `Link: <…>; rel="next"` header (GitHub). */
export interface LinkHeaderPaging extends PagingBase {
  readonly style: "link";
}

/** The next page's URL in the body at `url` (`next`, `links.next`). */
export interface NextUrlPaging extends PagingBase {
  readonly style: "next-url";
  readonly url: BodyPath;
}

export type PaginationDescriptor = CursorPaging | OffsetPaging | PageNumberPaging | LinkHeaderPaging | NextUrlPaging;

export type PaginationStyle = PaginationDescriptor["style"];
