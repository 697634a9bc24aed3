/**
 * Reads an events file (JSON lines, as `recordEvents` writes them) within bounds: at most
 * `maxBytes` and `maxLines`, the rest counted as left out. A line that is not an event is
 * counted as malformed, never fatal. Only the fields of carewire's event types are kept,
 * so nothing else a file may hold reaches the report.
 */
import { open } from "node:fs/promises";
import type { RecordedEvent } from "../runtime/core/telemetry.js";
import { ReportFileError } from "./errors.js";

export interface ReadLimits {
  /** Default 64 MiB (the recorder's own bound). */
  readonly maxBytes?: number;
  /** Default 1 000 000. */
  readonly maxLines?: number;
}

export interface EventLog {
  /** By time. */
  readonly events: readonly RecordedEvent[];
  readonly lines: number;
  /** Lines that were not JSON or not a carewire event. */
  readonly malformed: number;
  /** Why reading stopped before the end of the file, if it did. */
  readonly cut?: "max-bytes" | "max-lines";
  /** The recorder hit its own bound (a `truncated` line). */
  readonly recorderTruncated: boolean;
}

export const DEFAULT_READ_LIMITS = { maxBytes: 64 * 1024 * 1024, maxLines: 1_000_000 } as const;

/** A file's first `maxBytes` as text, and whether there is more: never more than that is read. */
export async function readFileHead(file: string, maxBytes: number): Promise<{ readonly text: string; readonly more: boolean }> {
  const handle = await open(file, "r");
  try {
    const size = (await handle.stat()).size;
    const bytes = Buffer.alloc(Math.min(size, maxBytes));
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
    return { text: bytes.subarray(0, bytesRead).toString("utf8"), more: size > bytesRead };
  } finally {
    await handle.close();
  }
}

export async function readEvents(file: string, limits: ReadLimits = {}): Promise<EventLog> {
  const maxBytes = limits.maxBytes ?? DEFAULT_READ_LIMITS.maxBytes;
  const maxLines = limits.maxLines ?? DEFAULT_READ_LIMITS.maxLines;
  let text: string;
  let more: boolean;
  try {
    ({ text, more } = await readFileHead(file, maxBytes));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory, not a file" : (error as Error).message;
    throw new ReportFileError(`cannot read the events file ${file}: ${why}`, { cause: error });
  }
  let rows = text.split("\n");
  // A cut mid-line leaves a partial last line: it is left out, not counted as malformed.
  if (more) rows = rows.slice(0, -1);
  let cut: EventLog["cut"] = more ? "max-bytes" : undefined;
  const events: RecordedEvent[] = [];
  let lines = 0;
  let malformed = 0;
  let recorderTruncated = false;
  for (const row of rows) {
    if (row.trim() === "") continue;
    if (lines >= maxLines) {
      cut = "max-lines";
      break;
    }
    lines++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row);
    } catch {
      malformed++;
      continue;
    }
    if ((parsed as { type?: unknown } | null)?.type === "truncated") {
      recorderTruncated = true;
      continue;
    }
    const event = eventOf(parsed);
    if (event === undefined) malformed++;
    else events.push(event);
  }
  events.sort((a, b) => a.time - b.time);
  return { events, lines, malformed, recorderTruncated, ...(cut ? { cut } : {}) };
}

type Fields = Readonly<Record<string, "number" | "string" | "number?" | "string?">>;

/** The fields each event type keeps, beside `type` and `time`. */
const SHAPES: Readonly<Record<string, Fields>> = {
  attempt: { attempt: "number", status: "number?", errorKind: "string?", durationMs: "number", delayMs: "number" },
  retry: { attempt: "number", outcome: "string", reason: "string", delayMs: "number" },
  "give-up": { attempt: "number", outcome: "string", reason: "string" },
  "rate-limit-wait": { waitMs: "number", reason: "string" },
  throttled: { retryAt: "number" },
  breaker: { group: "string", from: "string", to: "string" },
  cache: { result: "string", ageMs: "number?" },
  token: { action: "string" },
  "quota-store": { state: "string" },
  quota: { scope: "string", limit: "number", windowMs: "number", used: "number", tenantUsed: "number?", tenantWeight: "number?" },
  outbox: { worker: "string", disposition: "string", pending: "number", due: "number", leased: "number", dead: "number" },
};
/** Longest text a field keeps: names and reasons, never more. */
const MAX_TEXT = 200;
/** The largest epoch ms a Date holds. */
const MAX_DATE_MS = 8.64e15;

const CALL_FIELDS: Fields = { provider: "string", operationId: "string", requestId: "string", tenant: "string?" };

/** The event a parsed line holds, with only its type's fields; undefined when it is not one. */
export function eventOf(value: unknown): RecordedEvent | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const type = record.type;
  // A time outside what a Date can hold would break every date the page prints.
  if (typeof type !== "string" || !Object.hasOwn(SHAPES, type) || !isFiniteNumber(record.time) || Math.abs(record.time) > MAX_DATE_MS) return undefined;
  const out: Record<string, unknown> = { type, time: record.time };
  const fields = type === "outbox" ? SHAPES[type]! : { ...SHAPES[type], ...CALL_FIELDS };
  for (const [name, kind] of Object.entries(fields)) {
    const field = record[name];
    const optional = kind.endsWith("?");
    if (field === undefined && optional) continue;
    if (kind.startsWith("number") ? !isFiniteNumber(field) : typeof field !== "string") return undefined;
    out[name] = typeof field === "string" ? field.slice(0, MAX_TEXT) : field;
  }
  return out as unknown as RecordedEvent;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}
