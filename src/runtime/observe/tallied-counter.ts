/**
 * A monotonic counter kept in this process and handed to the SDK when its reader collects
 * (an observable counter). A synchronous counter would have the SDK hash the attribute set
 * on every `add`, the costliest part of counting one call; here an add is one map lookup
 * by a key the caller already has. The reader sees the same cumulative sums either way.
 */
import type { OtelAttributes, OtelInstrumentOptions, OtelMeter } from "./open-telemetry.js";

/**
 * Most attribute sets kept per counter; past it, counts go to one overflow set, as the SDK
 * does past its own limit (2,000 by default, which this stays under).
 */
export const MAX_TALLIED_SETS = 1_000;

/** The attribute set counts go to once a counter holds MAX_TALLIED_SETS (the SDK's name for it). */
export const OVERFLOW_ATTRIBUTES: OtelAttributes = Object.freeze({ "otel.metric.overflow": true });

interface Tally {
  readonly attributes: OtelAttributes;
  count: number;
}

export class TalliedCounter {
  private readonly tallies = new Map<string, Tally>();
  private overflow: Tally | undefined;

  constructor(meter: OtelMeter, name: string, options: OtelInstrumentOptions) {
    meter.createObservableCounter(name, options).addCallback((result) => {
      for (const { attributes, count } of this.tallies.values()) result.observe(count, attributes);
      if (this.overflow !== undefined) result.observe(this.overflow.count, this.overflow.attributes);
    });
  }

  /**
   * Counts `n` for the set `key` names. `attributes` is asked for only the first time a key
   * is seen, so a caller can build the set lazily; one key must always mean one set.
   */
  add(key: string, attributes: OtelAttributes | (() => OtelAttributes), n = 1): void {
    const tally = this.tallies.get(key);
    if (tally !== undefined) {
      tally.count += n;
    } else if (this.tallies.size < MAX_TALLIED_SETS) {
      this.tallies.set(key, { attributes: typeof attributes === "function" ? attributes() : attributes, count: n });
    } else {
      this.overflow ??= { attributes: OVERFLOW_ATTRIBUTES, count: 0 };
      this.overflow.count += n;
    }
  }
}
