/** Where circuit state lives: in memory by default; shareable across instances. */
import type { BreakerState } from "../policies/breaker.js";

export interface BreakerRecord {
  state: BreakerState;
  openedAt: number;
  /**
   * Outcomes in the window as counts per tenth of it, [slice start (epoch ms), failures,
   * successes]: constant work per call however busy the client is.
   */
  slices: Array<[number, number, number]>;
  probeInFlight: boolean;
}

/** Where breaker state lives (in memory by default; shareable across instances). */
export interface BreakerStore {
  get(group: string): BreakerRecord | undefined;
  set(group: string, record: BreakerRecord): void;
}

export class MemoryBreakerStore implements BreakerStore {
  private readonly records = new Map<string, BreakerRecord>();
  get(group: string) {
    return this.records.get(group);
  }
  set(group: string, record: BreakerRecord) {
    this.records.set(group, record);
  }
}
