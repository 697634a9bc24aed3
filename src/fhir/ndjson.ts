/**
 * NDJSON, one resource per line, read as it arrives: memory holds one chunk and one line,
 * however large the file (Bulk Data exports run to gigabytes).
 */
import { MalformedResponseError } from "../runtime/errors.js";

/** Longest line accepted; a line past it is a broken file, not a resource. */
const MAX_LINE_CHARS = 64 * 1024 * 1024;

export async function* ndjsonLines(stream: ReadableStream<Uint8Array>, source = "NDJSON"): AsyncGenerator<unknown, void, undefined> {
  const reader = stream.getReader();
  // A streaming decoder: a UTF-8 character split across two chunks is joined, not mangled.
  const decoder = new TextDecoder();
  let pending = "";
  let lineNumber = 0;
  const parse = (line: string): unknown => {
    lineNumber++;
    try {
      return JSON.parse(line);
    } catch (error) {
      throw new MalformedResponseError(`${source} line ${lineNumber} is not JSON (${(error as Error).message})`, 200, line.slice(0, 200), { cause: error });
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      // Walk the lines of the buffer by index; keep only the unfinished tail.
      let start = 0;
      let newline: number;
      while ((newline = pending.indexOf("\n", start)) >= 0) {
        const line = pending.slice(start, newline).trim();
        start = newline + 1;
        if (line.length > 0) yield parse(line);
        else lineNumber++;
      }
      pending = pending.slice(start);
      if (pending.length > MAX_LINE_CHARS) throw new MalformedResponseError(`${source} line ${lineNumber + 1} is longer than ${MAX_LINE_CHARS} characters`, 200, pending.slice(0, 200));
    }
    const last = (pending + decoder.decode()).trim();
    if (last.length > 0) yield parse(last);
  } finally {
    // An early `break` by the caller must not leave the download running.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
