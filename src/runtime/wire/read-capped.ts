/**
 * A byte stream read whole, chunk by chunk, stopping at a size cap and at a bound (an
 * attempt's timeout, a call's deadline, an abort). Response bodies and the request bodies
 * carewireFetch holds for replay are read this way.
 */
import { LimitExceededError, type LimitName } from "../core/errors.js";
import type { AttemptBound } from "./bound.js";

const ignore = () => undefined;

/** The stream's bytes; LimitExceededError(`limit`) past `maxBytes`, the bound's error when it ends first. A body of one chunk is kept as it came. */
export async function readStreamCapped(stream: ReadableStream<Uint8Array>, maxBytes: number, bound: AttemptBound, limit: LimitName): Promise<Uint8Array> {
  const reader = stream.getReader();
  // A failed attempt cancels the reader: a read in flight then ends (as done) whatever the
  // source underneath does, and the check after it throws the attempt's error. Cheaper than
  // a promise of the bound's around every read.
  const unwatch = bound.whenFailed(() => void reader.cancel().catch(ignore));
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      bound.check();
      if (done) break;
      // As fetch's own whole-body reads do, for a stream made by hand.
      if (!(value instanceof Uint8Array)) throw new TypeError("Received non-Uint8Array chunk");
      total += value.byteLength;
      if (total > maxBytes) throw new LimitExceededError(limit, maxBytes);
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(ignore);
    // The attempt's own end (its timeout, an abort) wins over what the cancelled read threw.
    bound.check();
    throw error;
  } finally {
    unwatch();
  }
  return concatBytes(chunks, total);
}

/** The chunks as one byte array (`total`: their summed length). */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
