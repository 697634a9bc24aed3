/**
 * Turns a completed exchange into `data` (or an error body): decode by media type,
 * then read tolerantly with the schema the spec declares for that status.
 */
import { MalformedResponseError } from "../core/errors.js";
import type { OperationSchemas } from "../core/operation.js";
import { NO_DRIFT, readTolerantly, type DriftIssue, type DriftReport } from "../tolerant/tolerant.js";
import type { Exchange } from "./transport.js";
import { isJsonMediaType } from "./media-type.js";
import { statusKeyFor } from "./status-key.js";
import { headerValue } from "./header-value.js";

export interface DecodedBody {
  readonly value: unknown;
  readonly drift: DriftReport;
  /** Violations of fields the spec marks critical. */
  readonly critical?: readonly DriftIssue[];
}

/** One decoder for every body: decoding without `stream` keeps no state between calls. */
const utf8 = new TextDecoder();

export function readBody(exchange: Exchange, schemas: OperationSchemas, method: string): DecodedBody {
  const { response, body } = exchange;
  if (method === "head" || response.status === 204 || response.status === 304) return { value: undefined, drift: NO_DRIFT };
  // The attempt parsed it already, having found it JSON: no need to ask the headers again.
  if (exchange.json) return readJson(exchange.json.value, schemas, response.status);
  const schema = response.ok ? schemaFor(schemas, response.status) : undefined;
  if (body.byteLength === 0) {
    // A success with nothing in it, where the spec promises a body: checked like any other
    // body (a critical field missing is a contract violation, otherwise drift).
    return schema === undefined ? { value: undefined, drift: NO_DRIFT } : readJson(undefined, schemas, response.status);
  }
  const contentType = headerValue(response.headers, "content-type") ?? "";
  if (isJsonMediaType(contentType) || (contentType === "" && looksLikeJson(body))) return readJson(parseJsonBody(exchange), schemas, response.status);
  if (/^text\/|xml|x-www-form-urlencoded|ndjson/i.test(contentType)) {
    const text = utf8.decode(body);
    // HTML from a proxy or a login page where JSON was declared: the text is kept and checked.
    return schema === undefined ? { value: text, drift: NO_DRIFT } : readJson(text, schemas, response.status);
  }
  // Mislabelled JSON (`*/*`, `application/octet-stream`, copied from a spec's wildcard): where
  // the spec gives this status a schema and the bytes look like JSON, they are read as JSON;
  // a Blob would reach the caller typed as the schema's object.
  if (schema !== undefined && !/^(image|audio|video|font)\//i.test(contentType) && looksLikeJson(body)) return readJson(parseJsonBody(exchange), schemas, response.status);
  return { value: new Blob([body], contentType ? { type: contentType } : {}), drift: NO_DRIFT };
}

function readJson(json: unknown, schemas: OperationSchemas, status: number): DecodedBody {
  const read = readTolerantly(schemaFor(schemas, status), json);
  return { value: read.value, drift: read.drift, critical: read.critical };
}

/** JSON.parse of an exchange's body, or a MalformedResponseError (truncated, garbled). */
export function parseJsonBody(exchange: Exchange): unknown {
  let raw = "";
  try {
    raw = utf8.decode(exchange.body);
    return JSON.parse(raw);
  } catch (error) {
    // The server's text stays in `bodyPreview`, out of the message (it may hold PHI).
    const message = `${exchange.response.status} body is not valid JSON (${exchange.body.byteLength} bytes)`;
    throw new MalformedResponseError(message, exchange.response.status, raw.slice(0, 200), { cause: error });
  }
}

/** Whether the body will be read as JSON (declared JSON, or unlabelled and looking like it). */
export function isJsonBody(exchange: Exchange): boolean {
  if (exchange.body.byteLength === 0 || exchange.response.status === 204 || exchange.response.status === 304) return false;
  const contentType = headerValue(exchange.response.headers, "content-type") ?? "";
  return isJsonMediaType(contentType) || (contentType === "" && looksLikeJson(exchange.body));
}

/** Exact status first, then its range (`4XX`), then `default`. */
export function schemaFor(schemas: OperationSchemas, status: number) {
  // The exact status is the usual case and needs no look at the other keys.
  const exact = String(status);
  if (Object.hasOwn(schemas.responses, exact)) return schemas.responses[exact];
  const key = statusKeyFor(status, Object.keys(schemas.responses));
  return key === undefined ? undefined : schemas.responses[key];
}

function looksLikeJson(body: Uint8Array): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b || byte === 0x5b; // { or [
  }
  return false;
}

/**
 * A small JSON answer outside a call (a token, a discovery document), parsed once and
 * never thrown from: the object when there is one, and whether the text was a JSON object
 * cut short (a dropped connection, worth asking again; an HTML page is not).
 */
export function jsonObjectOf(body: Uint8Array): { readonly value: Readonly<Record<string, unknown>> | undefined; readonly cutShort: boolean } {
  const text = utf8.decode(body).trimStart();
  try {
    const parsed: unknown = JSON.parse(text);
    return { value: typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined, cutShort: false };
  } catch {
    return { value: undefined, cutShort: text.startsWith("{") };
  }
}
