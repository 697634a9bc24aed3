/**
 * Recognises the common paging styles from an operation's shape when the spec says nothing
 * (no `x-carewire-pagination`). Conservative on purpose: a style is taken only when the
 * parameters and the response body both show it, and exactly one style fits. Paging wrongly
 * (repeating page 1, skipping records) is worse than not paging, so any doubt means none.
 */
import type { BodyPath, PaginationDescriptor } from "../runtime/pagination/descriptor.js";
import { deref, isObject, type JsonObject } from "./json.js";
import { pickJsonMediaType } from "./schema-emitter.js";

/** What detection reads of one operation. */
export interface DetectionInput {
  readonly doc: JsonObject;
  readonly method: string;
  /** The operation object as in the document. */
  readonly operation: JsonObject;
  /** Path- and operation-level parameter objects, resolved and merged. */
  readonly parameters: readonly JsonObject[];
}

/** Where a body carries the next cursor, and the query parameter that takes it back. */
const BODY_CURSORS: ReadonlyArray<{ readonly path: BodyPath; readonly params: readonly string[] }> = [
  { path: ["next_page", "offset"], params: ["offset"] },
  { path: ["next_cursor"], params: ["cursor"] },
  { path: ["nextCursor"], params: ["cursor"] },
  { path: ["response_metadata", "next_cursor"], params: ["cursor"] },
  { path: ["next_page_token"], params: ["page_token"] },
  { path: ["nextPageToken"], params: ["pageToken"] },
  // Stripe's search: an opaque `next_page` string sent back as `page`.
  { path: ["next_page"], params: ["page"] },
];

/** Body fields that hold the next page's URL by their name alone. */
const NEXT_URL_FIELDS: readonly BodyPath[] = [["next_url"], ["nextUrl"], ["next_page_url"], ["nextPageUrl"]];
/** Body fields that hold it only when the schema says it is a URI. */
const NEXT_URI_FIELDS: readonly BodyPath[] = [["next"], ["links", "next"]];

const ITEM_ARRAY_NAMES = ["data", "items", "results", "entries", "records"];
const SIZE_PARAMS = ["limit", "per_page", "pageSize", "page_size", "perPage", "count"];
const TOTAL_FIELDS = ["total", "total_count", "totalCount"];

export function detectPagination(input: DetectionInput): PaginationDescriptor | undefined {
  if (input.method !== "get") return undefined;
  const { doc } = input;
  const response = successResponse(doc, input.operation);
  if (response === undefined) return undefined;
  const body = deref(doc, pickJsonMediaType(response.content)?.schema);
  const items = itemsOf(doc, body);
  if (items === undefined) return undefined;
  const query = new Map<string, unknown>();
  for (const p of input.parameters) if (p.in === "query" && typeof p.name === "string") query.set(p.name, deref(doc, p.schema));
  const props = propertiesOf(doc, body) ?? new Map<string, unknown>();
  const headers = isObject(response.headers) ? Object.keys(response.headers).map((h) => h.toLowerCase()) : [];
  const sizeParam = SIZE_PARAMS.find((name) => isNumeric(query.get(name)));
  const base = { items: items.path, ...(sizeParam ? { sizeParam } : {}), source: "detected" as const };
  const hasMore = isBoolean(props.get("has_more")) ? { hasMore: ["has_more"] } : {};

  const fits: PaginationDescriptor[] = [];
  // Stripe: `starting_after` takes the id of the last item; `has_more` says whether to.
  if (query.has("starting_after") && "hasMore" in hasMore && hasProperty(doc, items.schema, "id")) {
    fits.push({ style: "cursor", ...base, param: "starting_after", cursorFromItem: ["id"], ...hasMore });
  }
  // A token the body hands back (Asana's `next_page.offset`, `next_cursor`…), sent as a string parameter.
  const tokens = BODY_CURSORS.filter((c) => c.params.some((p) => query.has(p) && !isNumeric(query.get(p))) && isString(valueAt(doc, body, c.path)));
  if (tokens.length > 1) return undefined;
  for (const token of tokens) fits.push({ style: "cursor", ...base, param: token.params.find((p) => query.has(p))!, cursor: token.path, ...hasMore });
  // A numeric offset with a limit, and a body that says where the end is.
  const total = TOTAL_FIELDS.find((name) => isNumeric(props.get(name)));
  if (isNumeric(query.get("offset")) && sizeParam !== undefined && (total !== undefined || "hasMore" in hasMore)) {
    fits.push({ style: "offset", ...base, param: "offset", ...hasMore, ...(total ? { total: [total] } : {}) });
  }
  const linkHeader = headers.includes("link");
  // A page number, with the next number (or a has-more flag) in the body; a Link header instead makes it the link style.
  const nextPage = ["nextPage", "next_page"].find((name) => isNumeric(props.get(name)));
  if (isNumeric(query.get("page")) && !linkHeader && (nextPage !== undefined || "hasMore" in hasMore)) {
    fits.push({ style: "page", ...base, param: "page", ...(nextPage ? { nextPage: [nextPage] } : hasMore) });
  }
  if (linkHeader) fits.push({ style: "link", ...base });
  const urls = [...NEXT_URL_FIELDS.filter((path) => isString(valueAt(doc, body, path))), ...NEXT_URI_FIELDS.filter((path) => isUri(valueAt(doc, body, path)))];
  if (urls.length > 1) return undefined;
  for (const url of urls) fits.push({ style: "next-url", ...base, url });
  // Two styles that both fit: which one the server honours is a guess.
  return fits.length === 1 ? fits[0] : undefined;
}

/** The 200 response, else the only 2xx one. */
function successResponse(doc: JsonObject, operation: JsonObject): JsonObject | undefined {
  const responses = deref(doc, operation.responses);
  if (!isObject(responses)) return undefined;
  const ok = deref(doc, responses["200"]);
  if (isObject(ok)) return ok;
  const success = Object.keys(responses).filter((s) => /^2(\d\d|XX)$/i.test(s));
  const only = success.length === 1 ? deref(doc, responses[success[0]!]) : undefined;
  return isObject(only) ? only : undefined;
}

/** The items array of a list body: the body itself, or its one array property (or its one conventionally named one). */
function itemsOf(doc: JsonObject, body: unknown): { path: BodyPath; schema: unknown } | undefined {
  if (isArray(body)) return { path: [], schema: deref(doc, (body as JsonObject).items) };
  const props = propertiesOf(doc, body);
  if (props === undefined) return undefined;
  const arrays = [...props].filter(([, schema]) => isArray(schema));
  const named = arrays.length === 1 ? arrays : arrays.filter(([name]) => ITEM_ARRAY_NAMES.includes(name));
  if (named.length !== 1) return undefined;
  const [name, schema] = named[0]!;
  return { path: [name], schema: deref(doc, (schema as JsonObject).items) };
}

/** An object schema's properties, its `allOf` parts merged in, each resolved. */
function propertiesOf(doc: JsonObject, schema: unknown, depth = 0): Map<string, unknown> | undefined {
  const node = deref(doc, schema);
  if (!isObject(node) || depth > 8) return undefined;
  const out = new Map<string, unknown>();
  if (isObject(node.properties)) for (const [name, value] of Object.entries(node.properties)) out.set(name, deref(doc, value));
  if (Array.isArray(node.allOf)) {
    for (const part of node.allOf) for (const [name, value] of propertiesOf(doc, part, depth + 1) ?? []) out.set(name, value);
  }
  return out.size > 0 || node.type === "object" ? out : undefined;
}

/** Whether every variant of an item schema has `name` (an item that may lack it would end a cursor early). */
function hasProperty(doc: JsonObject, schema: unknown, name: string): boolean {
  const node = deref(doc, schema);
  if (!isObject(node)) return false;
  const variants = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (variants) return variants.length > 0 && variants.every((v) => hasProperty(doc, v, name));
  return propertiesOf(doc, node)?.has(name) === true;
}

/** The schema a body path leads to. */
function valueAt(doc: JsonObject, schema: unknown, path: BodyPath): unknown {
  let node = deref(doc, schema);
  for (const key of path) node = propertiesOf(doc, node)?.get(key);
  return node;
}

function typesOf(schema: unknown): string[] {
  if (!isObject(schema)) return [];
  if (typeof schema.type === "string") return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === "string");
  return [];
}

const isArray = (schema: unknown) => typesOf(schema).includes("array") || (isObject(schema) && schema.type === undefined && schema.items !== undefined);
const isBoolean = (schema: unknown) => typesOf(schema).includes("boolean");
const isNumeric = (schema: unknown) => typesOf(schema).some((t) => t === "integer" || t === "number");
const isString = (schema: unknown) => typesOf(schema).includes("string");
const isUri = (schema: unknown) => isString(schema) && isObject(schema) && (schema.format === "uri" || schema.format === "uri-reference" || schema.format === "url");
