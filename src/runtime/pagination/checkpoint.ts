/**
 * Where a named paging iteration stands, kept so a process that dies can pick up where it
 * was. The position is saved after a page has been handed over in full and the caller asked
 * for what comes next (see paginate.ts for the exact guarantee).
 */
import type { PageRequest } from "./page-request.js";

export interface PagingPosition {
  /** The request of the next page to read; `null` once the last page has been handled. */
  readonly next: PageRequest | null;
  /** Pages and items handled so far, over every run of this iteration. */
  readonly pagesRead: number;
  readonly itemsRead: number;
  /** The operation and a hash of its input: a resume that pages something else is refused. */
  readonly fingerprint: string;
}

/** A store of paging positions by iteration name (memory, SQLite, or one of the caller's). */
export interface PagingCheckpoint {
  load(name: string): Promise<PagingPosition | undefined>;
  save(name: string, position: PagingPosition): Promise<void>;
  /** Forgets an iteration: the next run with this name starts at the first page. */
  clear(name: string): Promise<void>;
}

/** Positions in this process only: resumes an iteration stopped by a thrown error or a `break`, not a crash. */
export function memoryPagingCheckpoint(): PagingCheckpoint {
  const positions = new Map<string, PagingPosition>();
  return {
    load: async (name) => {
      const position = positions.get(name);
      return position === undefined ? undefined : structuredClone(position);
    },
    save: async (name, position) => void positions.set(name, structuredClone(position)),
    clear: async (name) => void positions.delete(name),
  };
}

/** A position read back from storage, checked field by field: a damaged one is refused rather than followed. */
export function parsePosition(text: string): PagingPosition | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.fingerprint !== "string" || !Number.isInteger(v.pagesRead) || !Number.isInteger(v.itemsRead)) return undefined;
  if (v.next !== null && !isPageRequest(v.next)) return undefined;
  return value as PagingPosition;
}

function isPageRequest(value: unknown): value is PageRequest {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  if (r.kind === "link") return typeof r.path === "string" && typeof r.query === "string";
  if (r.kind !== "query" || typeof r.query !== "object" || r.query === null || Array.isArray(r.query)) return false;
  return Object.values(r.query).every((q) => typeof q === "string" || typeof q === "number");
}
