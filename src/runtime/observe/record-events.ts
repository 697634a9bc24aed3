/**
 * `recordEvents(file)`: an `onEvent` sink that keeps every event as one JSON line, for
 * `carewire report` and for reading after an incident. A call only appends to an array:
 * the lines are written in the background, a batch at a time. The file is bounded: past
 * `maxBytes` it stops and says so in one last line. A write that fails is counted, never
 * thrown into a call. Node only (it writes a file); `node:fs` is fetched when the recorder
 * is made, so a browser bundle of the runtime never meets it.
 */
import { nodeBuiltin } from "../portable/node-builtin.js";
import { redact, type RecordedEvent } from "../core/telemetry.js";

export type { OutboxEvent, RecordedEvent } from "../core/telemetry.js";

export interface RecordEventsOptions {
  /** Largest the file may grow to; then one `truncated` line and nothing more. Default 64 MiB. */
  readonly maxBytes?: number;
  /** How long events wait in memory before they are written. Default 500 ms. */
  readonly flushMs?: number;
  /** Events held while the disk is slow; beyond it events are dropped (and counted). Default 50 000. */
  readonly maxBuffered?: number;
  /** Add to an existing file instead of starting it afresh. Default false. */
  readonly append?: boolean;
}

export interface RecorderStats {
  readonly written: number;
  readonly bytes: number;
  /** Events left out: past `maxBytes`, or while `maxBuffered` lines were waiting. */
  readonly dropped: number;
  readonly truncated: boolean;
  /** Writes that failed, and the last failure's message. */
  readonly errors: number;
  readonly lastError?: string;
}

export interface EventRecorder {
  (event: RecordedEvent): void;
  /** Writes what is buffered now; resolves when it is on disk (or failed, counted). */
  flush(): Promise<void>;
  /** Flushes and closes the file; later events are dropped. */
  close(): Promise<void>;
  stats(): RecorderStats;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Room kept for the `truncated` line. */
const TRUNCATED_LINE_ROOM = 160;

export function recordEvents(file: string, options: RecordEventsOptions = {}): EventRecorder {
  const { promises: fs } = nodeBuiltin("node:fs", "recordEvents");
  const maxBytes = Math.max(TRUNCATED_LINE_ROOM * 2, options.maxBytes ?? DEFAULT_MAX_BYTES);
  const flushMs = Math.max(0, options.flushMs ?? 500);
  const maxBuffered = Math.max(1, options.maxBuffered ?? 50_000);
  /** Events are serialized when written, not on the call's path: a call only appends. */
  let buffer: RecordedEvent[] = [];
  /** Events taken and not yet written (buffered, or in a batch waiting for the disk): bounded by `maxBuffered`. */
  let queued = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let handle: Promise<import("node:fs").promises.FileHandle> | undefined;
  /** Writes run one after another, in order. */
  let writing: Promise<void> = Promise.resolve();
  let closed = false;
  const stats = { written: 0, bytes: 0, dropped: 0, truncated: false, errors: 0, lastError: undefined as string | undefined };

  const failed = (error: unknown): void => {
    stats.errors++;
    stats.lastError = error instanceof Error ? error.message : String(error);
  };

  /** Each event as a redacted JSON line; one that cannot be serialized is counted and left out. */
  function serialized(events: readonly RecordedEvent[]): string[] {
    const lines: string[] = [];
    for (const event of events) {
      try {
        lines.push(JSON.stringify(redact(event)));
      } catch (error) {
        stats.dropped++;
        failed(error);
      }
    }
    return lines;
  }

  /** The file, opened at the first write; one that would not open is tried again at the next. */
  function opened(): Promise<import("node:fs").promises.FileHandle> {
    handle ??= fs.open(file, options.append === true ? "a" : "w").then(
      async (h) => {
        // Appending, the file's bound counts what is in it already.
        if (options.append === true) stats.bytes += await h.stat().then((s) => s.size, () => 0);
        return h;
      },
      (error: unknown) => {
        handle = undefined;
        throw error;
      },
    );
    return handle;
  }

  async function write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    if (stats.truncated) {
      stats.dropped += lines.length;
      return;
    }
    let target: import("node:fs").promises.FileHandle;
    try {
      target = await opened();
    } catch (error) {
      stats.dropped += lines.length;
      failed(error);
      return;
    }
    let chunk = "";
    let chunkBytes = 0;
    let taken = 0;
    for (const line of lines) {
      const size = Buffer.byteLength(line) + 1;
      if (stats.bytes + chunkBytes + size > maxBytes - TRUNCATED_LINE_ROOM) break;
      chunk += `${line}\n`;
      chunkBytes += size;
      taken++;
    }
    const cut = taken < lines.length;
    if (cut) {
      stats.dropped += lines.length - taken;
      stats.truncated = true;
      chunk += `${JSON.stringify({ type: "truncated", time: Date.now(), maxBytes })}\n`;
    }
    if (chunk === "") return;
    try {
      await target.appendFile(chunk);
      stats.written += taken;
      stats.bytes += Buffer.byteLength(chunk);
    } catch (error) {
      stats.dropped += taken;
      failed(error);
    }
  }

  function flush(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const events = buffer;
    buffer = [];
    if (events.length > 0) {
      writing = writing.then(async () => {
        await write(serialized(events));
        queued -= events.length;
      });
    }
    return writing;
  }

  const recorder = (event: RecordedEvent): void => {
    if (closed) {
      stats.dropped++;
      return;
    }
    try {
      if (queued >= maxBuffered) {
        stats.dropped++;
        return;
      }
      buffer.push(event);
      queued++;
      // Half full: written now rather than at the timer, so a burst is not dropped.
      if (buffer.length * 2 >= maxBuffered) void flush();
      else if (timer === undefined) {
        timer = setTimeout(() => void flush(), flushMs);
        // A recorder alone never keeps a process alive.
        (timer as { unref?: () => void }).unref?.();
      }
    } catch (error) {
      failed(error);
    }
  };

  return Object.assign(recorder, {
    flush,
    async close(): Promise<void> {
      closed = true;
      await flush();
      const open = handle;
      handle = undefined;
      if (open !== undefined) await open.then((h) => h.close()).catch(failed);
    },
    stats: (): RecorderStats => {
      const { lastError, ...counts } = stats;
      return { ...counts, ...(lastError === undefined ? {} : { lastError }) };
    },
  });
}
