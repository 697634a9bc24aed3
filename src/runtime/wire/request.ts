/**
 * Builds the request of one attempt from the operation and the caller's input.
 * URL, query and body serialization are openapi-fetch's own, so the wire format is
 * exactly what openapi-fetch users get. A fresh request is built for every attempt:
 * a body stream can be read once, and retried writes must carry it again.
 *
 * It is built as a URL and an init first (`buildOutgoing`). The platform's fetch takes
 * those as they are; a Request is made of them only for a fetch of the caller's, which
 * is given one (`buildRequest`). Node's fetch copies a Request it is handed into a new
 * one, headers and all, so making one for it would build every request twice.
 */
import { createQuerySerializer, defaultPathSerializer, mergeHeaders } from "openapi-fetch";
import { InvalidRequestError } from "../core/errors.js";
import type { OperationDescriptor } from "../core/operation.js";
import { requestContentType } from "./media-type.js";
import { schemeMissing } from "./base-url.js";

/** The untyped view of `CallInput` the runtime works with. */
export interface RawCallInput {
  readonly params?: {
    readonly path?: Readonly<Record<string, unknown>>;
    readonly query?: Readonly<Record<string, unknown>>;
    readonly header?: Readonly<Record<string, unknown>>;
    readonly cookie?: Readonly<Record<string, unknown>>;
  };
  readonly body?: unknown;
  /**
   * A query string already in its wire form (FHIR search: repeated names, `:modifier`
   * names, server-made `next` links), appended as is. It never enters `meta.path`.
   */
  readonly rawQuery?: string;
}

/** Where a call's requests go, without the base URL: made once per call (see `Call.target`). */
export interface RequestTarget {
  /** The operation's path with its path parameters filled in. */
  readonly path: string;
  /** The serialized query parameters, without `?` (the raw query is not in it). */
  readonly query: string;
}

export interface RequestParts {
  readonly baseUrl: string;
  readonly operation: OperationDescriptor;
  readonly input: RawCallInput;
  /** The call's filled-in path and query (`requestTarget`). */
  readonly target: RequestTarget;
  /** Headers under the operation's own header parameters (client defaults, correlation id). */
  readonly defaultHeaders: ReadonlyArray<Readonly<Record<string, string>> | Headers | undefined>;
  /** Headers over them (per-call options, then policy headers); later wins. */
  readonly overrideHeaders: ReadonlyArray<Readonly<Record<string, string>> | Headers | undefined>;
  /** Query parameters the client adds to every request (`ClientOptions.query`): a call's own of the same name wins. */
  readonly clientQuery?: Readonly<Record<string, string>> | undefined;
}

type BodyInit = NonNullable<RequestInit["body"]>;
/** What openapi-fetch's mergeHeaders takes (its parameter type is not exported). */
type HeaderSource = Record<string, string> | Headers | undefined;

const querySerializer = createQuerySerializer();

/** The filled-in path and the query string of a call, serialized as openapi-fetch serializes them. */
export function requestTarget(operation: OperationDescriptor, input: RawCallInput): RequestTarget {
  // Only a path with `{…}` in it has parameters to fill in: the others skip the serializer's scan.
  const path = operation.path.includes("{") ? defaultPathSerializer(operation.path, input.params?.path ?? {}) : operation.path;
  const query = input.params?.query === undefined ? "" : querySerializer(input.params.query as Record<string, unknown>);
  return { path, query: query.startsWith("?") ? query.slice(1) : query };
}

/** A request as a URL and its init, not yet a Request. The init is the attempt's own: the transport adds its signal. */
export interface OutgoingRequest {
  readonly url: string;
  readonly init: RequestInit;
}

/** The attempt's Request, for a fetch that takes one: a URL the platform refuses is a request that cannot be built. */
export function buildRequest(parts: RequestParts): Request {
  const outgoing = buildOutgoing(parts);
  try {
    return new Request(outgoing.url, outgoing.init);
  } catch {
    // The usual causes: a client made without `baseUrl` for a spec that names no server, or
    // one given a host without its scheme. The base URL is the app's setting, fine to quote.
    const why = parts.baseUrl === "" ? "the client has no baseUrl: pass `baseUrl` when making it" : (schemeMissing(parts.baseUrl) ?? "the URL or an option is not valid");
    throw cannotBuild(parts.operation, why);
  }
}

/**
 * Where a missing path parameter was most likely put instead: another name in `params.path`
 * (`boardId` for `board_id`), another group of params, or the input's top level.
 */
function whereItWent(input: RawCallInput, name: string): string {
  const simple = (key: string) => key.toLowerCase().replace(/[-_]/g, "");
  const has = (group: object | undefined) => Object.keys(group ?? {}).find((key) => simple(key) === simple(name));
  const given = has(input.params?.path);
  if (given !== undefined) return ` (params.path has "${given}": the spec names it "${name}")`;
  const elsewhere = (["query", "header", "cookie"] as const).find((group) => has(input.params?.[group]) !== undefined);
  const where = elsewhere !== undefined ? `params.${elsewhere} has it` : has(input) !== undefined ? "the input's top level has it" : undefined;
  return where === undefined ? "" : ` (${where}; it goes in params.path: { params: { path: { "${name}": … } } })`;
}

/** The attempt's URL and init: parameters checked, headers merged and validated, body serialized. */
export function buildOutgoing(parts: RequestParts): OutgoingRequest {
  const { operation, input } = parts;
  const pathParams = input.params?.path ?? {};
  for (const p of operation.parameters.path) {
    const value = pathParams[p.name];
    if (value === undefined || value === null || value === "") {
      throw new InvalidRequestError(`${operation.operationId}: path parameter "${p.name}" is required${whereItWent(input, p.name)}`);
    }
  }
  if (operation.requestBody?.required && input.body === undefined) {
    throw new InvalidRequestError(`${operation.operationId}: a request body is required`);
  }

  const trimmed = parts.baseUrl.endsWith("/") ? parts.baseUrl.replace(/\/+$/, "") : parts.baseUrl;
  // A base URL may have parameters of its own (a server variable the spec templates).
  const baseUrl = trimmed.includes("{") ? defaultPathSerializer(trimmed, pathParams) : trimmed;
  const { path, query } = parts.target;
  const url = withRawQuery(withRawQuery(query ? `${baseUrl}${path}?${query}` : `${baseUrl}${path}`, input.rawQuery), clientQueryFor(parts.clientQuery, input));

  let headers: Headers;
  try {
    headers = mergeHeaders(...(parts.defaultHeaders as HeaderSource[]), stringHeaders(input.params?.header), ...(parts.overrideHeaders as HeaderSource[]));
    const cookie = cookieHeader(input.params?.cookie);
    if (cookie) headers.set("Cookie", headers.has("Cookie") ? `${headers.get("Cookie")}; ${cookie}` : cookie);
  } catch {
    // The runtime's own error quotes the offending value, which may be a secret (an API key
    // with a stray line break): it is neither repeated nor kept as the cause. The name is.
    const name = invalidHeaderName([...parts.defaultHeaders, stringHeaders(input.params?.header), ...parts.overrideHeaders]);
    throw new InvalidRequestError(`${operation.operationId}: ${name === undefined ? "a header name or value" : `the header ${JSON.stringify(name.slice(0, 80))}`} is not valid in HTTP (a line break or another control character?)`);
  }

  let body: BodyInit | undefined;
  if (input.body !== undefined && (operation.method === "get" || operation.method === "head")) {
    // Some specs declare one (DrChrono does), but fetch cannot send it.
    throw new InvalidRequestError(`${operation.operationId}: a ${operation.method.toUpperCase()} request cannot carry a body`);
  }
  if (input.body !== undefined) {
    const contentType = headers.get("Content-Type") ?? requestContentType(operation.requestBody?.contentTypes);
    body = serializeBody(input.body, contentType, operation);
    if (!(body instanceof FormData) && !headers.has("Content-Type")) headers.set("Content-Type", contentType);
  }

  // Redirects are carewire's to follow (transport.ts): within the origin, never elsewhere.
  const init: RequestInit = { method: operation.method.toUpperCase(), headers, redirect: "manual" };
  if (body !== undefined) init.body = body;
  return { url, init };
}

/**
 * A request that cannot be built as the client is set up: refused, never sent. The platform's
 * error is not kept as the cause: it quotes the URL, whose path and query may hold ids or a key.
 */
export function cannotBuild(operation: OperationDescriptor, why: string): InvalidRequestError {
  return new InvalidRequestError(`${operation.operationId}: cannot build the request (${why})`);
}

/** The first header (of the sources, in order) whose name or value HTTP does not allow, or undefined. */
function invalidHeaderName(sources: ReadonlyArray<Readonly<Record<string, string>> | Headers | undefined>): string | undefined {
  for (const source of sources) {
    if (source === undefined || source instanceof Headers) continue;
    for (const name in source) {
      try {
        new Headers([[name, source[name]!]]);
      } catch {
        return name;
      }
    }
  }
  return undefined;
}

function serializeBody(body: unknown, contentType: string, operation: OperationDescriptor): BodyInit {
  if (body instanceof FormData || body instanceof Blob || body instanceof URLSearchParams || typeof body === "string") {
    return body;
  }
  if (body instanceof Uint8Array) return new Blob([body]);
  if (/^multipart\/form-data/i.test(contentType)) {
    const form = new FormData();
    if (typeof body === "object" && body !== null) {
      for (const [key, value] of Object.entries(body)) {
        if (value === undefined) continue;
        form.append(key, value instanceof Blob ? value : typeof value === "string" ? value : JSON.stringify(value));
      }
    }
    return form;
  }
  try {
    // As openapi-fetch serializes: URL-encoded for forms, JSON otherwise.
    if (/^application\/x-www-form-urlencoded/i.test(contentType)) return formEncode(body);
    return JSON.stringify(body);
  } catch (error) {
    throw new InvalidRequestError(`${operation.operationId}: the request body cannot be serialized`, { cause: error });
  }
}

function stringHeaders(values: Readonly<Record<string, unknown>> | undefined): Record<string, string> | undefined {
  if (!values) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(", ") : String(v);
  }
  return out;
}

function cookieHeader(values: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!values) return undefined;
  const pairs = Object.entries(values)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return pairs.length > 0 ? pairs.join("; ") : undefined;
}

function formEncode(body: unknown): string {
  const form = new URLSearchParams();
  if (typeof body === "object" && body !== null) {
    for (const [key, value] of Object.entries(body)) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) for (const item of value) form.append(key, String(item));
      else form.append(key, String(value));
    }
  }
  return form.toString();
}

/**
 * The client's query parameters this call does not set itself (in its parameters, or in a
 * raw query such as a server's `next` link, which may carry the key already), serialized.
 */
function clientQueryFor(clientQuery: Readonly<Record<string, string>> | undefined, input: RawCallInput): string | undefined {
  if (clientQuery === undefined) return undefined;
  const raw = input.rawQuery === undefined ? undefined : new URLSearchParams(input.rawQuery);
  const pairs: string[] = [];
  for (const name in clientQuery) {
    if (input.params?.query?.[name] !== undefined || raw?.has(name) === true) continue;
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(clientQuery[name]!)}`);
  }
  return pairs.length === 0 ? undefined : pairs.join("&");
}

/** Appends a pre-serialized query string to a URL that may already have one. */
export function withRawQuery(url: string, rawQuery: string | undefined): string {
  const query = rawQuery?.replace(/^\?/, "");
  return query ? `${url}${url.includes("?") ? "&" : "?"}${query}` : url;
}
