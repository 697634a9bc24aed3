/**
 * Where each target's checkpoint lives, by target key. A fleet shares one durable store
 * (SQLite on one host, or a store of the app's own); the memory store keeps them for one
 * process only. A checkpoint read back is checked field by field: a damaged one is refused
 * rather than followed (following it could skip changes).
 */
import { PollCheckpointError } from "./errors.js";
import type { PollCheckpoint } from "./types.js";

export interface PollCheckpointStore {
  load(key: string): Promise<PollCheckpoint | undefined>;
  /** Durable once it resolves (for a durable store). */
  save(key: string, checkpoint: PollCheckpoint): Promise<void>;
  /** Forgets a target: its next poll starts from its `startAt`. */
  clear(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Checkpoints in this process's memory: a restart starts every target again. */
export function memoryPollCheckpointStore(): PollCheckpointStore {
  const saved = new Map<string, string>();
  return {
    load: async (key) => {
      const text = saved.get(key);
      return text === undefined ? undefined : readCheckpoint(key, text);
    },
    save: async (key, checkpoint) => void saved.set(key, writeCheckpoint(checkpoint)),
    clear: async (key) => void saved.delete(key),
    close: async () => undefined,
  };
}

/** Most versions kept for one instant: far beyond what one server writes in a millisecond, small enough to store. */
export const MAX_HANDLED = 10_000;
const MAX_TEXT = 64;

/** A checkpoint as stored text, its fields checked first: a store never holds what it could not read back. */
export function writeCheckpoint(checkpoint: PollCheckpoint): string {
  const text = JSON.stringify({ lastUpdated: checkpoint.lastUpdated, handledAtLastUpdated: checkpoint.handledAtLastUpdated, etag: checkpoint.etag });
  if (parseCheckpoint(text) === undefined) throw new PollCheckpointError("a checkpoint must hold an ISO lastUpdated, at most 10,000 handled versions and a short ETag");
  return text;
}

/** A stored checkpoint, or PollCheckpointError naming the target (never the content). */
export function readCheckpoint(key: string, text: string): PollCheckpoint {
  const checkpoint = parseCheckpoint(text);
  if (checkpoint === undefined) throw new PollCheckpointError(`the checkpoint of "${key}" is damaged; clear it to start that target over`);
  return checkpoint;
}

function parseCheckpoint(text: string): PollCheckpoint | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { lastUpdated, handledAtLastUpdated: handled, etag } = value as Record<string, unknown>;
  if (lastUpdated !== undefined && (typeof lastUpdated !== "string" || lastUpdated.length > MAX_TEXT || Number.isNaN(Date.parse(lastUpdated)))) return undefined;
  if (handled !== undefined && (!Array.isArray(handled) || handled.length > MAX_HANDLED || !handled.every((h) => typeof h === "string" && h.length <= 512))) return undefined;
  if (etag !== undefined && (typeof etag !== "string" || etag.length > 512)) return undefined;
  return {
    ...(lastUpdated !== undefined ? { lastUpdated } : {}),
    ...(handled !== undefined ? { handledAtLastUpdated: handled as string[] } : {}),
    ...(etag !== undefined ? { etag } : {}),
  };
}
