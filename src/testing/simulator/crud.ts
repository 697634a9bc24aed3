/**
 * The generic behaviour when no handler is given. Without state, every response comes
 * from the spec's examples or samples; with state, resources are created, read back,
 * updated, deleted and listed by collection, and actions on an item merge into it.
 */
import { isObject, type JsonObject } from "../../codegen/json.js";
import { shapeOf } from "./drift.js";
import { problemBody } from "./problem.js";
import type { HandlerResult } from "./render.js";
import type { Route, SpecModel } from "./spec-model.js";
import type { Resource, ResourceStore } from "./state.js";

export function sampledResult(model: SpecModel, route: Route): HandlerResult {
  const status = model.successStatus(route);
  return { status, body: model.mediaSample(route, status)?.body };
}

export function statefulResult(model: SpecModel, store: ResourceStore, route: Route, params: Readonly<Record<string, string>>, url: URL, body: unknown): HandlerResult {
  const { op } = route;
  const itemMatch = /^(.*)\/\{([^{}]+)\}$/.exec(op.path);
  const actionMatch = /^(.*)\/\{([^{}]+)\}\/([^{}/]+)$/.exec(op.path);
  const status = model.successStatus(route);
  const sampled = model.mediaSample(route, status)?.body;
  const sent = isObject(body) ? body : {};
  const notFound = (): HandlerResult => ({ status: 404, body: problemBody({ status: 404, title: "Not Found", detail: "no such resource" }), contentType: "application/problem+json" });

  if (op.method === "post" && !itemMatch && !actionMatch) {
    if (!isObject(sampled)) return { status, body: sampled };
    const id = store.nextId(op.path, typeof sampled.id === "number");
    const resource: Resource = { ...serverFields(model, route, status, sampled, sent), ...sent, id };
    store.put(op.path, String(id), resource);
    return { status, body: resource, headers: { location: `${url.pathname.replace(/\/$/, "")}/${encodeURIComponent(String(id))}` } };
  }
  if (itemMatch) {
    const [, collection, param] = itemMatch;
    const id = params[param!] ?? "";
    const existing = store.get(collection!, id);
    const known = store.has(collection!);
    const missing = (): HandlerResult => (known && op.responses["404"] ? notFound() : { status, body: sampled });
    if (op.method === "get") return existing ? { status, body: existing } : missing();
    if (op.method === "put" || op.method === "patch") {
      if (!existing) return missing();
      const base = op.method === "put" ? serverFields(model, route, status, isObject(sampled) ? sampled : {}, sent) : existing;
      const updated: Resource = { ...base, ...sent, id: existing.id };
      store.put(collection!, id, updated);
      return { status, body: updated };
    }
    if (op.method === "delete") {
      if (!store.delete(collection!, id) && known && op.responses["404"]) return notFound();
      return { status, body: sampled };
    }
  }
  if (actionMatch && op.method === "post") {
    const [, collection, param] = actionMatch;
    const existing = store.get(collection!, params[param!] ?? "");
    if (!existing) return store.has(collection!) && op.responses["404"] ? notFound() : { status, body: sampled };
    return { status, body: { ...existing, ...sent } };
  }
  if (op.method === "get" && store.has(op.path)) return { status, body: listPage(store.list(op.path), sampled, url.searchParams) };
  return { status, body: sampled };
}

/**
 * The fields the server contributes to a created resource: everything the client
 * cannot send (ids, timestamps, status), plus sampled values for fields the response
 * requires but the client left out. An optional field the client did not send stays absent.
 */
function serverFields(model: SpecModel, route: Route, status: number, sampled: JsonObject, sent: JsonObject): JsonObject {
  const requestSchema = model.requestBody(route)?.media.values().next().value?.schema;
  const writable = shapeOf(model.doc, requestSchema)?.properties ?? {};
  const required = shapeOf(model.doc, model.mediaSample(route, status)?.schema)?.required ?? new Set<string>();
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(sampled)) {
    if (!(key in writable) || (required.has(key) && !(key in sent))) out[key] = value;
  }
  return out;
}

/** Fills a list response (a bare array, or the array inside a page object) from the store, paged. */
function listPage(items: Resource[], sampled: unknown, query: URLSearchParams): unknown {
  const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
  const size = Math.max(1, Math.min(1000, Number(query.get("pageSize") ?? query.get("limit") ?? query.get("per_page") ?? 20) || 20));
  const slice = items.slice((page - 1) * size, page * size);
  if (Array.isArray(sampled) || !isObject(sampled)) return slice;
  const arrayKey = Object.keys(sampled).find((k) => Array.isArray(sampled[k]));
  if (arrayKey === undefined) return sampled;
  const out: JsonObject = { ...sampled, [arrayKey]: slice };
  if ("total" in out) out.total = items.length;
  if ("page" in out) out.page = page;
  if ("pageSize" in out) out.pageSize = size;
  if ("nextPage" in out) out.nextPage = page * size < items.length ? page + 1 : null;
  return out;
}
