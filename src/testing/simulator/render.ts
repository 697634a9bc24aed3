/**
 * A handler's result → the bytes on the wire: content type from the spec, the response
 * headers the spec documents (sampled once per operation and status, made header-safe),
 * and an ETag over the body.
 */
import { createHash } from "node:crypto";
import { isObject } from "../../codegen/json.js";
import { isJsonMediaType } from "../../runtime/wire/media-type.js";
import { headerSafe, type WireResponse } from "./http-io.js";
import type { Route, SpecModel } from "./spec-model.js";

export interface HandlerResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly contentType?: string;
}

export function render(model: SpecModel, route: Route, result: HandlerResult): WireResponse {
  const declared = model.responseFor(route, result.status);
  const declaredType = result.contentType ?? (declared && isObject(declared.content) ? Object.keys(declared.content)[0] : undefined) ?? "application/json";
  // A spec may declare a media range (`*/*`, `application/*`); a response names one type.
  const contentType = declaredType.includes("*") ? (typeof result.body === "string" ? "text/plain; charset=utf-8" : "application/json") : declaredType;
  const empty = result.body === undefined || result.status === 204 || result.status === 304;
  const body = empty ? "" : typeof result.body === "string" && !isJsonMediaType(contentType) ? result.body : serialize(result.body);
  const headers: Record<string, string> = {};
  if (body !== "") headers["content-type"] = contentType;
  for (const [name, value] of documentedHeaders(model, route, result.status)) {
    headers[name] = name === "etag" ? `"${createHash("sha1").update(body).digest("hex").slice(0, 16)}"` : value;
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = headerSafe(value);
  return { status: result.status, headers, body };
}

const headerCache = new WeakMap<Route, Map<number, ReadonlyArray<[string, string]>>>();
const serialized = new WeakMap<object, string>();

/**
 * JSON text of a body. Bodies are never mutated once handed to render (samples are
 * shared read-only, handlers get copies), so the text of an object is computed once.
 */
function serialize(body: unknown): string {
  if (typeof body !== "object" || body === null) return JSON.stringify(body);
  let text = serialized.get(body);
  if (text === undefined) serialized.set(body, (text = JSON.stringify(body)));
  return text;
}

function documentedHeaders(model: SpecModel, route: Route, status: number): ReadonlyArray<[string, string]> {
  let byStatus = headerCache.get(route);
  if (!byStatus) headerCache.set(route, (byStatus = new Map()));
  let list = byStatus.get(status);
  if (!list) {
    const declared = model.responseFor(route, status);
    list =
      declared && isObject(declared.headers)
        ? Object.entries(declared.headers)
            .filter(([name]) => name.toLowerCase() !== "content-type")
            .map(([name, raw]): [string, string] => [name.toLowerCase(), headerValue(model, raw)])
        : [];
    byStatus.set(status, list);
  }
  return list;
}

function headerValue(model: SpecModel, rawHeader: unknown): string {
  const h = isObject(rawHeader) ? rawHeader : {};
  const value = model.parameterExample(h);
  if (value === undefined || value === null) return "1";
  // Specs write header examples as YAML block scalars with newlines: keep one safe line.
  return headerSafe(typeof value === "object" ? JSON.stringify(value) : String(value));
}
