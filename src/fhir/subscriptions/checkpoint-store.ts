/**
 * Where a subscription stands: the last event number handled (and the latest
 * `meta.lastUpdated` handed over, where a `_lastUpdated` catch-up starts), kept so a restarted receiver neither repeats nor misses.
 * A small contract with an in-memory default and SQLite / PostgreSQL for durability; a
 * save never moves the event number back, so two instances racing keep the furthest one; at
 * the same number it records the search start, which a search catch-up moves as it hands over.
 * One active receiver per Subscription: the store keeps a position, it does not stop two
 * receivers from both handing every event over.
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
  /** Records `position` unless a later event number is already saved (at the same number, a search catch-up's progress is recorded). */
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
      if ((positions.get(key)?.eventNumber ?? -1) <= position.eventNumber) positions.set(key, { ...position });
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

/** The saved position of `key`; a failure to read is a SubscriptionCheckpointError. */
export async function loadPosition(store: SubscriptionCheckpointStore, key: string): Promise<SubscriptionPosition | undefined> {
  try {
    return await store.load(key);
  } catch (error) {
    throw error instanceof SubscriptionCheckpointError ? error : new SubscriptionCheckpointError("the subscription checkpoint could not be read", { cause: error });
  }
}
