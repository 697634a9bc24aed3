/**
 * Which paging style codegen takes from a spec: the `x-carewire-pagination` hint as written
 * (a bad one is a spec error), else a style detected only when the parameters and the body
 * both show it and no other style fits as well.
 */
import { describe, expect, it } from "@jest/globals";
import type { PaginationDescriptor } from "carewire";
import { SpecError } from "carewire/codegen";
import { buildRegistry } from "../../src/codegen/build-registry.js";
import { loadSpec } from "../../src/codegen/load-spec.js";
import { PAGED_SPEC } from "./paged-simulator.js";

type Json = Record<string, unknown>;

const query = (name: string, type = "string") => ({ name, in: "query", schema: { type } });

/** One `GET /things` with these query parameters, 200 body schema, response headers and extensions. */
function paginationOf(parameters: Json[], body: Json, extra: { headers?: Json; hint?: unknown } = {}): PaginationDescriptor | undefined {
  const doc = {
    openapi: "3.0.3",
    info: { title: "t", version: "1" },
    paths: {
      "/things": {
        get: {
          operationId: "listThings",
          parameters,
          ...(extra.hint === undefined ? {} : { "x-carewire-pagination": extra.hint }),
          responses: { "200": { description: "ok", ...(extra.headers ? { headers: extra.headers } : {}), content: { "application/json": { schema: body } } } },
        },
      },
    },
  };
  return buildRegistry(doc, "inline.json")[0]!.descriptor.pagination;
}

const items = (props: Json = {}) => ({ type: "array", items: { type: "object", properties: { id: { type: "string" }, ...props } } });

describe("detection", () => {
  it("cursor, Stripe style: starting_after, has_more and an items array whose items have an id", () => {
    expect(paginationOf([query("starting_after"), query("limit", "integer")], { type: "object", properties: { data: items(), has_more: { type: "boolean" }, object: { type: "string" } } })).toEqual({
      style: "cursor",
      items: ["data"],
      sizeParam: "limit",
      source: "detected",
      param: "starting_after",
      cursorFromItem: ["id"],
      hasMore: ["has_more"],
    });
  });

  it("cursor, Asana style: an offset token the body hands back in next_page.offset", () => {
    expect(paginationOf([query("offset"), query("limit", "integer")], { type: "object", properties: { data: items(), next_page: { type: "object", nullable: true, properties: { offset: { type: "string" } } } } })).toMatchObject({
      style: "cursor",
      param: "offset",
      cursor: ["next_page", "offset"],
    });
  });

  it("offset: a numeric offset, a limit and a total", () => {
    expect(paginationOf([query("offset", "integer"), query("limit", "integer")], { type: "object", properties: { results: items(), total: { type: "integer" } } })).toMatchObject({ style: "offset", items: ["results"], param: "offset", total: ["total"] });
  });

  it("page: a page number with the next one in the body", () => {
    expect(paginationOf([query("page", "integer"), query("pageSize", "integer")], { type: "object", properties: { data: items(), nextPage: { type: ["integer", "null"] } } })).toMatchObject({ style: "page", param: "page", nextPage: ["nextPage"], sizeParam: "pageSize" });
  });

  it("link: a Link response header, GitHub style, over a bare array", () => {
    expect(paginationOf([query("page", "integer"), query("per_page", "integer")], items(), { headers: { Link: { schema: { type: "string" } } } })).toEqual({ style: "link", items: [], sizeParam: "per_page", source: "detected" });
  });

  it("next-url: a body field named for a URL, or a `next` that the schema says is a URI", () => {
    expect(paginationOf([], { type: "object", properties: { results: items(), next_url: { type: "string" } } })).toMatchObject({ style: "next-url", url: ["next_url"] });
    expect(paginationOf([], { type: "object", properties: { results: items(), next: { type: "string", format: "uri" } } })).toMatchObject({ style: "next-url", url: ["next"] });
  });

  describe("ambiguous or incomplete: nothing", () => {
    it("a `next` string that may be a token rather than a URL", () => {
      expect(paginationOf([], { type: "object", properties: { results: items(), next: { type: "string" } } })).toBeUndefined();
    });
    it("two arrays and neither conventionally the items", () => {
      expect(paginationOf([query("starting_after")], { type: "object", properties: { customers: items(), accounts: items(), has_more: { type: "boolean" } } })).toBeUndefined();
    });
    it("two styles that both fit (a Stripe cursor and a Link header)", () => {
      expect(paginationOf([query("starting_after")], { type: "object", properties: { data: items(), has_more: { type: "boolean" } } }, { headers: { Link: { schema: { type: "string" } } } })).toBeUndefined();
    });
    it("a cursor parameter with no place in the body to read the next cursor from", () => {
      expect(paginationOf([query("offset"), query("limit", "integer")], { type: "object", properties: { data: items() } })).toBeUndefined();
    });
    it("a page number with nothing that says where the pages end", () => {
      expect(paginationOf([query("page", "integer"), query("per_page", "integer")], { type: "object", properties: { data: items() } })).toBeUndefined();
    });
    it("Stripe's parameters over items that may lack an id", () => {
      expect(paginationOf([query("starting_after")], { type: "object", properties: { data: { type: "array", items: { anyOf: [{ type: "object", properties: { id: { type: "string" } } }, { type: "object", properties: { name: { type: "string" } } }] } }, has_more: { type: "boolean" } } })).toBeUndefined();
    });
    it("a write, whatever its shape", () => {
      const doc = { openapi: "3.0.3", info: { title: "t", version: "1" }, paths: { "/things": { post: { parameters: [query("starting_after")], responses: { "200": { description: "ok", content: { "application/json": { schema: { type: "object", properties: { data: items(), has_more: { type: "boolean" } } } } } } } } } } };
      expect(buildRegistry(doc, "inline.json")[0]!.descriptor.pagination).toBeUndefined();
    });
  });
});

describe("x-carewire-pagination", () => {
  const body = { type: "object", properties: { data: items(), cursor: { type: "object", properties: { next: { type: "string" } } } } };

  it("is taken as written, over anything detection would say", () => {
    expect(paginationOf([query("after"), query("size", "integer")], body, { hint: { style: "cursor", items: "data", param: "after", cursor: "cursor.next", sizeParam: "size" } })).toEqual({
      style: "cursor",
      items: ["data"],
      sizeParam: "size",
      source: "hint",
      param: "after",
      cursor: ["cursor", "next"],
    });
  });

  it("false turns paging off where detection would find it", () => {
    expect(paginationOf([query("starting_after")], { type: "object", properties: { data: items(), has_more: { type: "boolean" } } }, { hint: false })).toBeUndefined();
  });

  it.each([
    [{ style: "cursor", items: "data", param: "nope", cursor: "cursor.next" }, /"nope" is not a query parameter/],
    [{ style: "cursor", items: "data", param: "after" }, /exactly one of cursor/],
    [{ style: "sideways", items: "data" }, /must be one of cursor/],
    [{ style: "link" }, /names no items path/],
    [{ style: "link", items: "data", param: "after" }, /unknown field "param"/],
    [{ style: "next-url", items: "data", url: "a..b" }, /not a dotted path/],
  ])("a malformed hint is a spec error naming the field: %j", (hint, message) => {
    let error: unknown;
    try {
      paginationOf([query("after")], body, { hint });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SpecError);
    expect((error as Error).message).toMatch(message);
    expect((error as SpecError).where.pointer).toMatch(/^\/paths\/~1things\/get\/x-carewire-pagination/);
  });

  it("the paged fixture: one operation per style, the next-url one from its hint", async () => {
    const { document } = await loadSpec(PAGED_SPEC);
    const found = Object.fromEntries(buildRegistry(document, PAGED_SPEC).flatMap((e) => (e.descriptor.pagination ? [[e.descriptor.name, `${e.descriptor.pagination.style}/${e.descriptor.pagination.source}`]] : [])));
    expect(found).toEqual({ listCustomers: "cursor/detected", listTasks: "cursor/detected", listInvoices: "offset/detected", listRepos: "link/detected", listNotes: "next-url/hint" });
  });
});
