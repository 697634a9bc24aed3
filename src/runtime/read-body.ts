/**
 * Turns a completed exchange into `data` (or an error body): decode by media type,
 * then read tolerantly with the schema the spec declares for that status.
 */
import { MalformedResponseError } from "./errors.js";
import type { OperationSchemas } from "./operation.js";
import { NO_DRIFT, readTolerantly, type DriftReport } from "./tolerant.js";
import type { Exchange } from "./transport.js";
import { isJsonMediaType } from "./media-type.js";
import { statusKeyFor } from "./status-key.js";

export interface DecodedBody {
  readonly value: unknown;
  readonly drift: DriftReport;
}


export function readBody(exchange: Exchange, schemas: OperationSchemas, method: string): DecodedBody {
  const { response, body } = exchange;
  if (body.byteLength === 0 || method === "head" || response.status === 204 || response.status === 304) {
    return { value: undefined, drift: NO_DRIFT };
  }
  const contentType = response.headers.get("content-type") ?? "";
  const text = () => new TextDecoder().decode(body);
  if (isJsonMediaType(contentType) || (contentType === "" && looksLikeJson(body))) {
    const raw = text();
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      const message = `${response.status} body is not valid JSON (${(error as Error).message}; ${body.byteLength} bytes)`;
      throw new MalformedResponseError(message, response.status, raw.slice(0, 200), { cause: error });
    }
    const read = readTolerantly(schemaFor(schemas, response.status), json);
    return { value: read.value, drift: read.drift };
  }
  if (/^text\/|xml|x-www-form-urlencoded|ndjson/i.test(contentType)) return { value: text(), drift: NO_DRIFT };
  return { value: new Blob([body], contentType ? { type: contentType } : {}), drift: NO_DRIFT };
}

/** Exact status first, then its range (`4XX`), then `default`. */
export function schemaFor(schemas: OperationSchemas, status: number) {
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
