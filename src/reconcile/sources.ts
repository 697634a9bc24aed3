/**
 * Sources: the app's own records, from an array or from an NDJSON file read line by line.
 * A file is read with one chunk and one line in memory, however large it is.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { splitLines } from "../runtime/wire/split-lines.js";
import { SourceError } from "./errors.js";
import type { ReconcileSource } from "./types.js";

/** A line longer than this is a broken file, not a record. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** Records already in memory. The id is a hash of their JSON unless given, so a resume with other records is refused. */
export function arraySource<S>(records: readonly S[], options: { readonly id?: string } = {}): ReconcileSource<S> {
  let id = options.id;
  if (id === undefined) {
    const hash = createHash("sha256");
    for (const record of records) hash.update(JSON.stringify(record) ?? "undefined").update("\n");
    id = `array:${records.length}:${hash.digest("hex").slice(0, 32)}`;
  }
  return {
    id,
    async *[Symbol.asyncIterator]() {
      yield* records;
    },
  };
}

export interface NdjsonSourceOptions {
  /** Default 1 MiB. */
  readonly maxLineBytes?: number;
}

/**
 * One JSON object per line (blank lines skipped). A line that is not a JSON object, or is
 * longer than `maxLineBytes`, ends the read with a SourceError naming its line number and
 * nothing of its content. The id is the file's path, size and modification time: a file
 * changed since a checkpoint was written is a different source.
 */
export async function ndjsonSource(file: string, options: NdjsonSourceOptions = {}): Promise<ReconcileSource<Record<string, unknown>>> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const absolute = path.resolve(file);
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    throw new SourceError(`cannot read the source file ${file}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`, undefined, { cause: error });
  }
  if (!info.isFile()) throw new SourceError(`the source ${file} is not a file`);
  const name = path.basename(file);
  return {
    id: `ndjson:${absolute}:${info.size}:${Math.trunc(info.mtimeMs)}`,
    [Symbol.asyncIterator]: () => readLines(absolute, name, maxLineBytes),
  };
}

async function* readLines(file: string, name: string, maxLineBytes: number): AsyncGenerator<Record<string, unknown>, void, undefined> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let lineNumber = 0;
  const parse = (bytes: Uint8Array): Record<string, unknown> | undefined => {
    lineNumber++;
    let text: string;
    try {
      text = decoder.decode(bytes).trim();
    } catch (error) {
      throw new SourceError(`${name} line ${lineNumber} is not UTF-8`, lineNumber, { cause: error });
    }
    if (lineNumber === 1 && text.startsWith("\uFEFF")) text = text.slice(1).trim();
    if (text.length === 0) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // No cause: a JSON.parse message quotes the text around the fault, and that is a patient's record.
      throw new SourceError(`${name} line ${lineNumber} is not JSON`, lineNumber);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new SourceError(`${name} line ${lineNumber} is not a JSON object`, lineNumber);
    return value as Record<string, unknown>;
  };
  const tooLong = (line: number) => new SourceError(`${name} line ${line} is longer than ${maxLineBytes} bytes`, line);

  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  try {
    for await (const line of splitLines(stream as AsyncIterable<Buffer>, maxLineBytes, tooLong)) {
      const record = parse(line);
      if (record !== undefined) yield record;
    }
  } finally {
    // A caller that stops early must not leave the file open.
    stream.destroy();
  }
}
