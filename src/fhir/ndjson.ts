/**
 * NDJSON, one resource per line, read as it arrives: memory holds one chunk and one line,
 * however large the file (Bulk Data exports run to gigabytes).
 */
import { MalformedResponseError, NetworkError, TimeoutError } from "../runtime/errors.js";

/** Longest line accepted; a line past it is a broken file, not a resource. */
const MAX_LINE_CHARS = 64 * 1024 * 1024;

/** A download that sends nothing for this long is stalled, not slow. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export async function* ndjsonLines(stream: ReadableStream<Uint8Array>, source = "NDJSON", options: { idleTimeoutMs?: number; onBytes?: (bytes: number) => void } = {}): AsyncGenerator<unknown, void, undefined> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
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
  /** One chunk, or a typed error: a dead connection or a stall, never an untyped rejection. */
  const readChunk = async () => {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(idleTimeoutMs, "body")), idleTimeoutMs);
    });
    try {
      return await Promise.race([reader.read(), stalled]);
    } catch (error) {
      if (error instanceof TimeoutError) throw error;
      throw new NetworkError(`${source} download failed: ${(error as Error)?.message ?? String(error)}`, "body", undefined, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    for (;;) {
      const { value, done } = await readChunk();
      if (done) break;
      options.onBytes?.(value.byteLength);
      // The unfinished tail has no newline: search only the new text (no rescans of a long line).
      let scanFrom = pending.length;
      pending += decoder.decode(value, { stream: true });
      let start = 0;
      let newline: number;
      while ((newline = pending.indexOf("\n", Math.max(start, scanFrom))) >= 0) {
        scanFrom = 0;
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
