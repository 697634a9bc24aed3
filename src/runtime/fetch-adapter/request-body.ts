/**
 * The SDK's request body, read once into bytes so every attempt can carry it again (a
 * body, a stream above all, can be read only once). Reading stops at a bound: a body
 * larger than it is refused before anything is sent, rather than sent without the
 * possibility of a retry.
 */
import { LimitExceededError } from "../core/errors.js";
import { concatBytes } from "../wire/transport.js";

/** Most request-body bytes carewireFetch holds for replay when none is set: 16 MiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** The body's bytes, undefined when the request has none. */
export async function bufferRequestBody(request: Request, maxBytes: number): Promise<Uint8Array | undefined> {
  if (request.body === null) return undefined;
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    void request.body.cancel().catch(() => undefined);
    throw new LimitExceededError("request-bytes", maxBytes);
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw new LimitExceededError("request-bytes", maxBytes);
      chunks.push(value);
    }
  } catch (error) {
    void reader.cancel().catch(() => undefined);
    throw error;
  }
  return concatBytes(chunks, total);
}
