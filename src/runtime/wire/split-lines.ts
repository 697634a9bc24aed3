/**
 * Lines cut out of a stream of byte chunks, as they arrive: memory holds one chunk and one
 * line, however large the stream. A line is yielded as bytes, without its newline, and decoded
 * whole by the caller: a newline byte never sits inside a multi-byte UTF-8 character, so no
 * character is split. The unfinished line is kept as a list of pieces and each chunk is
 * scanned once: linear in the line's length.
 */
import { concatBytes } from "./read-capped.js";

const NEWLINE = 0x0a;

/**
 * Every line of `chunks` (the last one too, without a final newline). A line longer than
 * `maxLineBytes` ends the read with `tooLong(lineNumber)`'s error as soon as it passes the
 * bound, before the rest of it is read.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>, maxLineBytes: number, tooLong: (lineNumber: number) => Error): AsyncGenerator<Uint8Array, void, undefined> {
  let pieces: Uint8Array[] = [];
  let pending = 0;
  let lines = 0;
  for await (const chunk of chunks) {
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      if (pending + newline - start > maxLineBytes) throw tooLong(lines + 1);
      const line = pending === 0 ? chunk.subarray(start, newline) : concatBytes([...pieces, chunk.subarray(start, newline)], pending + newline - start);
      pieces = [];
      pending = 0;
      start = newline + 1;
      lines++;
      yield line;
    }
    if (start < chunk.byteLength) {
      pending += chunk.byteLength - start;
      if (pending > maxLineBytes) throw tooLong(lines + 1);
      pieces.push(chunk.subarray(start));
    }
  }
  if (pending > 0) yield concatBytes(pieces, pending);
}
