/**
 * The requests the contract runner sends for one operation. First one from the spec's
 * own examples (what the provider documents); if the server refuses it, one built from
 * the schemas alone: only the required parameters and body properties, each sampled from
 * its schema (enum members, formats), without read-only properties. Spec examples are
 * often stale or invalid, and a minimal request is the one most likely to be accepted.
 */
import { sample } from "openapi-sampler";
import { deref, isObject, type JsonObject } from "../codegen/json.js";
import { withRawQuery } from "../runtime/wire/request.js";
import { stringForPattern } from "./simulator/strings.js";
import type { Route, SpecModel } from "./simulator/spec-model.js";

export type RequestSource = "examples" | "schema";

export interface BuiltRequest {
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Header parameters the runner does not fill from the spec: the credentials it sends itself,
 * and the message's framing, which the HTTP client writes from the body (a sampled
 * Content-Length that does not match the body leaves the server waiting for bytes).
 */
const SET_BY_THE_CLIENT = new Set(["authorization", "content-length", "transfer-encoding", "content-type", "host", "connection", "keep-alive", "expect", "te", "trailer", "upgrade"]);

/** Every path parameter, the required query and header ones, and a body. */
export function buildRequest(model: SpecModel, route: Route, createdIds: ReadonlyMap<string, string>, source: RequestSource): BuiltRequest {
  const { op } = route;
  const headers: Record<string, string> = { accept: "application/json, */*;q=0.5" };
  const query = new URLSearchParams();
  const pathValues: Record<string, string> = {};
  const collection = /^(.*)\/\{([^{}]+)\}(?:\/[^{}/]+)?$/.exec(op.path);
  for (const param of route.entry.parameterObjects) {
    const name = String(param.name);
    const location = String(param.in);
    if (location !== "path" && param.required !== true) continue;
    let value: unknown = source === "examples" ? model.parameterExample(param) : sampleRequired(model, param.schema);
    // Prefer an id this run created, so reads and updates hit a real resource.
    if (location === "path" && collection && collection[2] === name && createdIds.has(collection[1]!)) value = createdIds.get(collection[1]!);
    // A deepObject query parameter goes as bracketed keys (`scope[type]=account`), as its providers expect.
    if (location === "query" && param.style === "deepObject" && isObject(value)) {
      for (const [key, item] of new URLSearchParams(formEncode({ [name]: value }))) query.append(key, item);
      continue;
    }
    const text = Array.isArray(value) ? value.map(String).join(",") : value === undefined || value === null ? "1" : typeof value === "object" ? JSON.stringify(value) : String(value);
    if (location === "path") pathValues[name] = text;
    else if (location === "query") query.set(name, text);
    else if (location === "header" && !SET_BY_THE_CLIENT.has(name.toLowerCase())) headers[name] = text;
  }
  const path = op.path.replace(/\{([^{}]+)\}/g, (_m, name: string) => encodeURIComponent(pathValues[name] ?? "1"));
  const search = query.toString();
  const built: BuiltRequest = { path: search ? `${path}?${search}` : path, headers };
  if (op.method === "get" || op.method === "head") return built;
  const body = source === "examples" ? model.requestSample(route) : schemaBody(model, route);
  if (body && body.body !== undefined) {
    headers["content-type"] = body.contentType;
    if (body.contentType === "application/x-www-form-urlencoded" && isObject(body.body)) built.body = formEncode(body.body);
    else built.body = typeof body.body === "string" && !/json/.test(body.contentType) ? body.body : JSON.stringify(body.body);
  }
  return built;
}

/** The body with only what the schema requires, in the content type a client sends (see `SpecModel.requestMedia`). */
function schemaBody(model: SpecModel, route: Route): { contentType: string; body: unknown } | undefined {
  const chosen = model.requestMedia(route);
  if (chosen === undefined || chosen.media.schema === undefined) return undefined;
  return { contentType: chosen.contentType, body: sampleRequired(model, chosen.media.schema) };
}

function sampleRequired(model: SpecModel, schema: unknown): unknown {
  const resolved = deref(model.doc, schema);
  if (!isObject(resolved)) return undefined;
  let doc = withoutWholeExamples.get(model.doc);
  if (!doc) withoutWholeExamples.set(model.doc, (doc = dropWholeExamples(model.doc) as JsonObject));
  let value: unknown;
  try {
    value = sample(dropWholeExamples(schema) as Parameters<typeof sample>[0], { skipNonRequired: true, skipReadOnly: true, quiet: true, maxSampleDepth: 6 }, doc);
  } catch {
    return undefined;
  }
  // The sampler ignores `pattern`; mend the value and the body's own properties.
  if (typeof value === "string") return matching(resolved, value);
  if (isObject(value) && isObject(resolved.properties)) {
    for (const [key, child] of Object.entries(value)) {
      const property = deref(model.doc, resolved.properties[key]);
      if (typeof child === "string" && isObject(property)) value[key] = matching(property, child);
    }
  }
  return value;
}

function matching(schema: JsonObject, value: string): string {
  if (typeof schema.pattern !== "string") return value;
  try {
    if (new RegExp(schema.pattern, "u").test(value)) return value;
  } catch {
    return value;
  }
  const bounds = { ...(typeof schema.minLength === "number" ? { minLength: schema.minLength } : {}), ...(typeof schema.maxLength === "number" ? { maxLength: schema.maxLength } : {}) };
  return stringForPattern(schema.pattern, bounds) ?? value;
}

const withoutWholeExamples = new WeakMap<JsonObject, JsonObject>();

/**
 * The sampler returns an object's or array's example whole, optional fields and all; without
 * those it builds the value from the properties, so only the required ones are sent. Examples
 * of single values stay: they are the likeliest to be accepted.
 */
function dropWholeExamples(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropWholeExamples);
  if (!isObject(value)) return value;
  const whole = isObject(value.properties) || value.type === "object" || value.type === "array" || Array.isArray(value.allOf);
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (whole && (key === "example" || (key === "examples" && Array.isArray(child)))) continue;
    out[key] = dropWholeExamples(child);
  }
  return out;
}

/**
 * Nested values as bracketed keys (`metadata[plan]=gold`, `items[0][price]=p`): the
 * form convention of the providers whose specs declare form bodies with objects in them.
 */
export function formEncode(body: JsonObject): string {
  const form = new URLSearchParams();
  const add = (key: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) value.forEach((item, i) => add(`${key}[${i}]`, item));
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) add(`${key}[${k}]`, v);
    else form.append(key, String(value));
  };
  for (const [key, value] of Object.entries(body)) add(key, value);
  return form.toString();
}

/** The request with an API key where its scheme puts it: a header, a query parameter or a cookie. */
export function withApiKey(request: BuiltRequest, scheme: { readonly in: string; readonly name: string }, key: string): void {
  if (scheme.in === "query") request.path = withRawQuery(request.path, `${encodeURIComponent(scheme.name)}=${encodeURIComponent(key)}`);
  else if (scheme.in === "cookie") {
    // A set may put several keys in cookies: one header carries them all.
    const cookie = `${scheme.name}=${encodeURIComponent(key)}`;
    request.headers.cookie = request.headers.cookie === undefined ? cookie : `${request.headers.cookie}; ${cookie}`;
  } else {
    // A sampled value of a header the spec also declares as a parameter would be sent beside the key, joined to it.
    for (const name of Object.keys(request.headers)) if (name.toLowerCase() === scheme.name.toLowerCase()) delete request.headers[name];
    request.headers[scheme.name] = key;
  }
}
