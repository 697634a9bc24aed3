/**
 * The generic behaviour when no handler is given. Without state, every response comes
 * from the spec's examples or samples. With state, each resource the spec describes
 * (see resources.ts) has one story: created, read back, listed, updated and deleted in the
 * spec's own shape (its id property, its envelope), and an id never created is 404 on
 * every operation under it. Operations on anything else are sampled.
 */
import { deref, isObject, type JsonObject } from "../../codegen/json.js";
import { shapeOf } from "./drift.js";
import { newId } from "./ids.js";
import { valueAt } from "../../runtime/pagination/body-path.js";
import { pagedList, sampledItems, withAt } from "./paging.js";
import { applyJsonPatch } from "./json-patch.js";
import { problemBody } from "./problem.js";
import { projectTo } from "./projection.js";
import type { HandlerResult } from "./render.js";
import { schemaAt, splitExtension, type ResourceCatalog, type ResourceShape } from "./resources.js";
import type { Route, SpecModel } from "./spec-model.js";
import type { Resource, ResourceStore } from "./state.js";

export function sampledResult(model: SpecModel, route: Route): HandlerResult {
  const status = model.successStatus(route);
  return { status, body: model.mediaSample(route, status)?.body };
}

export function statefulResult(model: SpecModel, catalog: ResourceCatalog, store: ResourceStore, route: Route, params: Readonly<Record<string, string>>, url: URL, body: unknown): HandlerResult {
  const status = model.successStatus(route);
  const sample = model.mediaSample(route, status);
  const sampled = sample?.body;
  for (const { shape, paramIndex } of catalog.parentsOf(route)) {
    if (!store.get(shape.collection, params[route.paramNames[paramIndex]!] ?? "")) return notFound(model, route);
  }
  const found = catalog.roleOf(route);
  if (!found) {
    // A pageable list of nothing the simulator stores (read-only): pages of sampled items.
    if (route.op.pagination !== undefined && route.op.method === "get") {
      const page = pagedList(route.op.pagination, sampledItems(route.op.pagination, sampled), sampled, url, (item) => item);
      const body = sample?.schema === undefined ? page.body : model.conform(sample.schema, page.body);
      return page.status === status ? { status, body, ...(page.headers ? { headers: page.headers } : {}) } : page;
    }
    return { status, body: sampled };
  }
  const { shape, role } = found;
  const requestPath = requestEnvelope(model, route, shape);
  const sent = valueAt(body, requestPath);
  const sentFields = isObject(sent) ? sent : {};
  // The fields the request lets a client write, where the resource sits in it (read once per request).
  const requestFields = shapeOf(model.doc, schemaAt(model.requestMedia(route)?.media.schema, requestPath, model.doc))?.properties ?? {};
  const resourceSchema = schemaAt(sample?.schema, shape.envelope, model.doc);
  // The fields the resource holds: what this answer, the create's and the item read's declare
  // (only a write needs them).
  const fields = () => declaredFields(model, [resourceSchema, shape.schema, shape.readSchema]);
  // Whatever the store holds is served through the operation's own schema, so it validates.
  const served = (value: unknown): HandlerResult => ({ status, body: sample?.schema === undefined ? value : model.conform(sample.schema, value) });
  // A resource in this operation's shape of it: the fields its response declares.
  const shown = (resource: Resource) => withAt(sampled, shape.envelope, projectTo(model.doc, resource, resourceSchema));

  if (role === "create") {
    const template = valueAt(sampled, shape.envelope);
    if (!isObject(template)) return { status, body: sampled };
    const resource: Resource = serverFields(model, shape, template, sentFields, requestFields);
    merge(model, resource, sent, fields());
    // A key the client may choose (the request declares it, writable) is the resource's id:
    // created, it is read back under it; a key already taken is a conflict.
    const chosen = chosenId(model, shape, sentFields, requestFields);
    if (chosen !== undefined && store.get(shape.collection, String(chosen))) return answered(model, route, 409, "Conflict", "a resource with this key exists");
    const id = chosen ?? newId(store, shape.collection, shape.idSchema);
    resource[shape.idProperty] = id;
    freshServerIds(model, store, shape, resource, sentFields);
    store.put(shape.collection, String(id), resource);
    // The item path's own ending (`.json`, a trailing slash), after the collection as it was asked for.
    const { stem } = splitExtension(url.pathname);
    const { ext } = splitExtension(shape.itemPath);
    return { ...served(shown(resource)), headers: { location: `${stem}/${encodeURIComponent(String(id))}${ext}` } };
  }
  if (role === "list") {
    const itemSchema = itemSchemaOf(model, sample?.schema);
    if (route.op.pagination) {
      // Paged as the operation says it pages (paging.ts); only the page's items are projected.
      const page = pagedList(route.op.pagination, store.list(shape.collection), sampled, url, (item) => projectTo(model.doc, item, itemSchema));
      return page.status === status ? { ...served(page.body), ...(page.headers ? { headers: page.headers } : {}) } : page;
    }
    return served(listPage(store.list(shape.collection).map((r) => projectTo(model.doc, r, itemSchema)), sampled, url.searchParams));
  }
  const id = params[shape.idParam] ?? "";
  const existing = store.get(shape.collection, id);
  if (!existing) return notFound(model, route);
  switch (route.op.method) {
    case "get":
    case "head":
      return served(shown(existing));
    case "delete":
      store.delete(shape.collection, id);
      return { status, body: sampled };
    case "patch":
      // A JSON Patch (a list of operations) edits the stored resource; an object merges below.
      if (Array.isArray(body)) return patched(model, route, shape, store, id, existing, body, fields(), (resource) => (sampled === undefined ? { status } : served(shown(resource))));
    // falls through
    case "put":
    case "post": {
      // PUT replaces what the client may write (from the stored resource where the answer has
      // no body to sample); PATCH and a POST to the item (Stripe's update) merge into it.
      const template = valueAt(sampled, shape.envelope);
      const base = route.op.method !== "put" ? { ...existing } : serverFields(model, shape, isObject(template) ? template : existing, sentFields, requestFields);
      merge(model, base, sent, fields());
      base[shape.idProperty] = existing[shape.idProperty];
      store.put(shape.collection, id, base);
      return sampled === undefined ? { status } : served(shown(base));
    }
    default:
      return { status, body: sampled };
  }
}

/**
 * A JSON Patch applied to a copy of the stored resource: all of it or nothing. The id stays;
 * a changed field must still be one the resource's schema accepts (else 422), and a failed
 * `test` or a path that is not there is 409 and 422 as RFC 5789 suggests.
 */
function patched(model: SpecModel, route: Route, shape: ResourceShape, store: ResourceStore, id: string, existing: Resource, operations: unknown[], properties: Readonly<Record<string, JsonObject>>, answer: (resource: Resource) => HandlerResult): HandlerResult {
  const result = applyJsonPatch(existing, operations);
  if (!result.ok) return result.testFailed ? answered(model, route, 409, "Conflict", result.reason) : answered(model, route, 422, "Unprocessable", result.reason);
  if (!isObject(result.value) || result.value[shape.idProperty] !== existing[shape.idProperty]) return answered(model, route, 422, "Unprocessable", "a patch cannot change the resource's id");
  const next: Resource = result.value;
  for (const [key, value] of Object.entries(next)) {
    const property = properties[key];
    if (property === undefined || JSON.stringify(value) === JSON.stringify(existing[key])) continue;
    if (!writable(model, property, value)) return answered(model, route, 422, "Unprocessable", `the patched ${key} is not one this resource accepts`);
  }
  store.put(shape.collection, id, next);
  return answer(next);
}

function notFound(model: SpecModel, route: Route): HandlerResult {
  return answered(model, route, 404, "Not Found", "no such resource");
}

/** An error status in the body the operation declares for it (that status, its range or default), else as problem details. */
function answered(model: SpecModel, route: Route, status: number, title: string, detail: string): HandlerResult {
  const declared = model.responseFor(route, status);
  const sample = declared && isObject(declared.content) ? model.mediaSample(route, status) : undefined;
  if (sample && sample.body !== undefined) {
    // The spec's example (often one `default` error for every status) says what this answer is
    // where it has a field for it: Mailchimp's says 404 "Resource Not Found" for a 409 too.
    const body = isObject(sample.body) ? { ...sample.body, ...said(sample.body, { status, title, message: title, detail }) } : sample.body;
    return { status, body: sample.schema === undefined ? body : model.conform(sample.schema, body), contentType: sample.contentType };
  }
  return { status, body: problemBody({ status, title, detail }), contentType: "application/problem+json" };
}

/** The fields of `values` the example already has, of the same type: an error body's own words replaced, none added. */
function said(example: JsonObject, values: Readonly<Record<string, string | number>>): JsonObject {
  return Object.fromEntries(Object.entries(values).filter(([key, value]) => typeof example[key] === typeof value));
}

/**
 * Where the resource sits in a request's body: inside the response's envelope where the
 * request has it too (Asana's `{ data: … }` both ways), else the whole body (Hetzner sends
 * `{ name, size }` and answers `{ action, volume }`).
 */
function requestEnvelope(model: SpecModel, route: Route, shape: ResourceShape): readonly string[] {
  if (shape.envelope.length === 0) return shape.envelope;
  const top = shapeOf(model.doc, model.requestMedia(route)?.media.schema);
  return top !== undefined && Object.hasOwn(top.properties, shape.envelope[0]!) ? shape.envelope : [];
}

/** The id a create's body (`sent`: the resource inside its envelope) sets, where its request lets the client choose it (`requestFields` declares it, not read-only): a non-empty string or a whole number. */
function chosenId(model: SpecModel, shape: ResourceShape, sent: JsonObject, requestFields: Readonly<Record<string, JsonObject>>): string | number | undefined {
  const value = sent[shape.idProperty];
  if (!((typeof value === "string" && value !== "" && value.length <= 200) || (typeof value === "number" && Number.isSafeInteger(value)))) return undefined;
  return writable(model, requestFields[shape.idProperty], value) ? value : undefined;
}

/** Whether a client may write `value` into the field `property` declares: declared, not read-only, and valid there. */
function writable(model: SpecModel, property: JsonObject | undefined, value: unknown): boolean {
  return property !== undefined && property.readOnly !== true && model.validator.validateValue(property, value).errors.length === 0;
}

/**
 * The properties a resource's schemas declare, the first schema's where several declare one:
 * an operation's own answer says what a field is before the create's or the read's does.
 */
function declaredFields(model: SpecModel, schemas: readonly unknown[]): Record<string, JsonObject> {
  // No prototype: a sent `__proto__` or `constructor` is looked up as a field, never inherited.
  const out = Object.create(null) as Record<string, JsonObject>;
  for (const schema of schemas) {
    for (const [key, property] of Object.entries(shapeOf(model.doc, schema)?.properties ?? {})) out[key] ??= property;
  }
  return out;
}

/**
 * Sent fields go into the resource only where its schemas (`declaredFields`) declare them,
 * with a value the schema accepts: a request that names an organization by id does not turn
 * the response's organization object into a string. Read-only and write-only fields never go in.
 */
function merge(model: SpecModel, target: Resource, sent: unknown, properties: Readonly<Record<string, JsonObject>>): void {
  if (!isObject(sent)) return;
  for (const [key, value] of Object.entries(sent)) {
    const property = properties[key];
    if (property?.writeOnly !== true && writable(model, property, value)) target[key] = value;
  }
}

/**
 * The fields the server contributes to a created resource: everything the client
 * cannot send (ids, timestamps, status), plus sampled values for fields the response
 * requires but the client left out. An optional field the client did not send stays absent.
 */
function serverFields(model: SpecModel, shape: ResourceShape, template: JsonObject, sent: JsonObject, writable: Readonly<Record<string, JsonObject>>): JsonObject {
  const required = shapeOf(model.doc, shape.schema)?.required ?? new Set<string>();
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(structuredClone(template))) {
    if (!(key in writable) || (required.has(key) && !(key in sent))) out[key] = value;
  }
  return out;
}

/** Names of a resource's own identifiers besides its id property (`_id` beside `key`, a `uuid`). */
const OWN_IDENTIFIER = /^(id|_id|uuid|guid|uid|gid|sid)$/i;

/**
 * A server makes each new resource's identifiers anew: one the client did not send gets a
 * fresh value of its schema's kind on every create, not the spec example's value again.
 */
function freshServerIds(model: SpecModel, store: ResourceStore, shape: ResourceShape, resource: Resource, sent: JsonObject): void {
  const properties = shapeOf(model.doc, shape.schema)?.properties ?? {};
  for (const key of Object.keys(resource)) {
    if (key === shape.idProperty || key in sent || !OWN_IDENTIFIER.test(key)) continue;
    const value = resource[key];
    if (typeof value !== "string" && typeof value !== "number") continue;
    const schema = deref(model.doc, properties[key]);
    // Counted apart from the collection's ids, so both sequences stay dense.
    resource[key] = newId(store, `${shape.collection}#${key}`, isObject(schema) ? schema : typeof value === "number" ? { type: "integer" } : undefined);
  }
}

/** The schema of a list response's items (a bare array, or the array inside a page object). */
function itemSchemaOf(model: SpecModel, schema: unknown): unknown {
  const resolved = deref(model.doc, schema);
  if (isObject(resolved) && resolved.type === "array") return resolved.items;
  for (const property of Object.values(shapeOf(model.doc, schema)?.properties ?? {})) {
    if (property.type === "array") return property.items;
  }
  return undefined;
}

/** Fills a list response (a bare array, or the array inside a page object) from the store, paged. */
function listPage(items: readonly unknown[], sampled: unknown, query: URLSearchParams): unknown {
  const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
  const size = Math.max(1, Math.min(1000, Number(query.get("pageSize") ?? query.get("limit") ?? query.get("per_page") ?? 20) || 20));
  const slice = items.slice((page - 1) * size, page * size);
  if (Array.isArray(sampled) || !isObject(sampled)) return slice;
  const arrayKey = Object.keys(sampled).find((k) => Array.isArray(sampled[k]));
  if (arrayKey === undefined) return sampled;
  return withPaging({ ...sampled, [arrayKey]: slice }, { page, size, total: items.length }, 0);
}

/** Paging counts by the names lists use for them (compared without case or underscores). */
const PAGING_FIELDS: Readonly<Record<string, (p: { page: number; size: number; total: number }) => number | null>> = {
  total: (p) => p.total,
  totalentries: (p) => p.total,
  totalcount: (p) => p.total,
  totalitems: (p) => p.total,
  totalresults: (p) => p.total,
  page: (p) => p.page,
  currentpage: (p) => p.page,
  pagesize: (p) => p.size,
  perpage: (p) => p.size,
  nextpage: (p) => (p.page * p.size < p.total ? p.page + 1 : null),
  previouspage: (p) => (p.page > 1 ? p.page - 1 : null),
  prevpage: (p) => (p.page > 1 ? p.page - 1 : null),
  lastpage: (p) => Math.max(1, Math.ceil(p.total / p.size)),
  totalpages: (p) => Math.max(1, Math.ceil(p.total / p.size)),
};

/**
 * A list's sampled paging fields made true of the list served, at its top or in an object
 * below (Hetzner's `meta.pagination`): a sampled `next_page: 4` under every page would
 * never let a pager stop. Only numbers (or nulls) the sample has are replaced.
 */
function withPaging(node: JsonObject, paging: { page: number; size: number; total: number }, depth: number): JsonObject {
  const out: JsonObject = { ...node };
  for (const [key, value] of Object.entries(node)) {
    const count = PAGING_FIELDS[key.toLowerCase().replace(/_/g, "")];
    if (count !== undefined && (typeof value === "number" || value === null)) out[key] = count(paging);
    else if (isObject(value) && depth < 2) out[key] = withPaging(value, paging, depth + 1);
  }
  return out;
}
