/**
 * What the tests of SDKs carewire did not generate share: a simulator and a carewireFetch
 * for the SDK, on one stepped clock, so Retry-After waits and quota windows play out in fake
 * time, the same on every run.
 */
import { carewireFetch, type CarewireFetchOptions, type CarewireFetchReport, type StandardFetch } from "carewire";
import type { Simulator } from "carewire/testing";
import { SteppedClock } from "./fake-time.js";

export interface FetchOnSimulator {
  readonly sim: Simulator;
  readonly clock: SteppedClock;
  /** What carewireFetch reported, one per call the SDK made. */
  readonly reports: CarewireFetchReport[];
  /** The fetch to hand the SDK. */
  readonly fetch: StandardFetch;
}

/**
 * Starts a simulator with `start` (given the clock's time, for its own `clock` option) and
 * makes a carewireFetch on the same clock: jitter fixed at its middle, no pacing unless
 * `adapter` sets it (the simulator's quota is the test's to turn on).
 */
export async function fetchOnSimulator(start: (now: () => number) => Promise<Simulator>, adapter: Partial<CarewireFetchOptions> = {}): Promise<FetchOnSimulator> {
  const clock = new SteppedClock();
  const sim = await start(() => clock.now());
  const reports: CarewireFetchReport[] = [];
  const fetch = carewireFetch({ clock, fetch: clock.fetch, random: () => 0.5, pacing: { limit: Infinity }, onResult: (r) => reports.push(r), ...adapter });
  return { sim, clock, reports, fetch };
}

/** The simulator's log of one operation, in the order the requests arrived. */
export const byOperation = (sim: Simulator, operationId: string) => sim.log.filter((e) => e.operationId === operationId);
