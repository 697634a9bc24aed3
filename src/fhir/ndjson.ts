/**
 * NDJSON, one resource per line, read as it arrives: memory holds one chunk and one line,
 * however large the file (Bulk Data exports run to gigabytes).
 */
import { LimitExceededError, MalformedResponseError, NetworkError, TimeoutError } from "../runtime/core/errors.js";
import { splitLines } from "../runtime/wire/split-lines.js";

/** Longest line accepted, in bytes; a line past it is a broken file, not a resource. */
const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** A download that sends nothing for this long is stalled, not slow. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export interface NdjsonOptions {
  readonly idleTimeoutMs?: number;
  /** Default 64 MiB; a longer line ends the read with LimitExceededError as soon as it passes. */
  readonly maxLineBytes?: number;
  readonly onBytes?: (bytes: number) => void;
}

export async function* ndjsonLines(stream: ReadableStream<Uint8Array>, source = "NDJSON", options: NdjsonOptions = {}): AsyncGenerator<unknown, void, undefined> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const reader = stream.getReader();
  // Each line is decoded whole (see splitLines): no character is split across chunks.
  const decoder = new TextDecoder();
  let lineNumber = 0;
  const parse = (bytes: Uint8Array): unknown => {
    lineNumber++;
    const line = decoder.decode(bytes).trim();
    if (line.length === 0) return undefined;
    try {
      return JSON.parse(line);
    } catch (error) {
      // The line stays in `bodyPreview`, out of the message: it is a patient's record.
      throw new MalformedResponseError(`${source} line ${lineNumber} is not JSON`, 200, line.slice(0, 200), { cause: error });
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
      throw new NetworkError(`${source} download failed`, "body", undefined, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const { value, done } = await readChunk();
      if (done) return;
      options.onBytes?.(value.byteLength);
      yield value;
    }
  }
  try {
    for await (const line of splitLines(chunks(), maxLineBytes, () => new LimitExceededError("line-bytes", maxLineBytes))) {
      const resource = parse(line);
      if (resource !== undefined) yield resource;
    }
  } finally {
    // An early `break` by the caller must not leave the download running.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
