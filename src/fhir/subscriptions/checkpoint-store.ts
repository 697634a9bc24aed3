/**
 * Where a subscription stands: the last event number handled (and the latest
 * `meta.lastUpdated` handed over, where a `_lastUpdated` catch-up starts), kept so a restarted receiver neither repeats nor misses.
 * A small contract with an in-memory default and SQLite / PostgreSQL for durability; a
 * save never moves a position back, so two instances racing keep the furthest one.
 */
import { SubscriptionCheckpointError } from "./errors.js";

export interface SubscriptionPosition {
  /** The last event number handled (0: none). */
  readonly eventNumber: number;
  /** The latest `meta.lastUpdated` handed over (a FHIR instant), when known: where a search catch-up starts. */
  readonly timestamp?: string;
}

export interface SubscriptionCheckpointStore {
  load(subscriptionKey: string): Promise<SubscriptionPosition | undefined>;
  /** Records `position` unless a later one is already saved. */
  save(subscriptionKey: string, position: SubscriptionPosition): Promise<void>;
  close(): Promise<void>;
}

/** Positions in this process only: enough for one instance that never restarts, and for tests. */
export function memorySubscriptionCheckpoint(): SubscriptionCheckpointStore {
  const positions = new Map<string, SubscriptionPosition>();
  return {
    load: async (key) => positions.get(key),
    save: async (key, position) => {
      checkPosition(position);
      if ((positions.get(key)?.eventNumber ?? -1) < position.eventNumber) positions.set(key, { ...position });
    },
    close: async () => undefined,
  };
}

/** Refuses a position no store should keep (a negative or fractional number). */
export function checkPosition(position: SubscriptionPosition): void {
  if (!Number.isSafeInteger(position.eventNumber) || position.eventNumber < 0) throw new SubscriptionCheckpointError("an event number must be a whole number ≥ 0");
}

/** A position read back from storage, checked: a damaged one is refused rather than followed. */
export function positionFromRow(eventNumber: unknown, timestamp: unknown): SubscriptionPosition {
  const n = typeof eventNumber === "string" ? Number(eventNumber) : eventNumber;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw new SubscriptionCheckpointError("a saved subscription position is damaged");
  return typeof timestamp === "string" ? { eventNumber: n, timestamp } : { eventNumber: n };
}
