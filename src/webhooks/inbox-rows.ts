/** Rows of the SQL inboxes (SQLite and PostgreSQL name their columns alike) as records. */
import type { InboxRecord } from "./inbox.js";

export const INBOX_COLUMNS = "seq, id, type, timestamp, raw, status, received_at, updated_at, attempts, not_before, last_error";

export interface InboxRow {
  readonly seq: number;
  readonly id: string;
  readonly type: string | null;
  readonly timestamp: number | string | null;
  readonly raw: string;
  readonly status: InboxRecord["status"];
  readonly received_at: number | string;
  readonly updated_at: number | string;
  readonly attempts: number;
  readonly not_before: number | string;
  readonly last_error: string | null;
}

/** PostgreSQL's bigint arrives as a string: every time is a Number here. */
export function recordOfRow(row: InboxRow): InboxRecord {
  return {
    id: row.id,
    ...(row.type !== null ? { type: row.type } : {}),
    ...(row.timestamp !== null ? { timestamp: Number(row.timestamp) } : {}),
    raw: row.raw,
    status: row.status,
    receivedAt: Number(row.received_at),
    updatedAt: Number(row.updated_at),
    attempts: Number(row.attempts),
    notBefore: Number(row.not_before),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  };
}
