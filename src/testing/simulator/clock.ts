/**
 * The simulators' time. A test hands in a function (`() => ms`) when only "now" matters
 * (quota windows, token expiry, outages), or a clock with `sleep` too (carewire's
 * FakeClock) when latency and slow-drip faults must wait on fake time instead of real
 * timers: then nothing the simulator does depends on how fast the machine is.
 */
export interface SimulatorClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Longest single wait a fault may ask for (the fault plan validates the same bound). */
const MAX_WAIT_MS = 600_000;

export function simulatorClock(option: (() => number) | SimulatorClock | undefined): SimulatorClock {
  if (option === undefined) return { now: Date.now, sleep: realSleep };
  if (typeof option === "function") return { now: option, sleep: realSleep };
  return { now: () => option.now(), sleep: (ms) => option.sleep(bounded(ms)) };
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, bounded(ms)));
}

function bounded(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_WAIT_MS);
}
