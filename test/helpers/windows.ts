/** What pacing tests measure: when requests arrived, sends per window, and real-time polls while a fake clock stands still. */
import type { Clock } from "carewire";
import { json, type TestServer } from "./http-server.js";

/** The most sends found in any window of `windowMs` (a send at t leaves the window at t + windowMs). */
export function mostInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/** Polls in real time (the clock under test is fake) until `condition` holds, or fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Has `server` answer every request 200 `{ id: "ok" }`, with `headers(n)` on the n-th (from
 * 1), and returns the times on `clock` at which the requests arrived, filled as they come.
 */
export function recordArrivals(server: TestServer, clock: Clock, headers: (n: number) => Record<string, string> = () => ({})): number[] {
  const arrivals: number[] = [];
  server.handle((_req, res) => {
    arrivals.push(clock.now());
    json(res, 200, { id: "ok" }, headers(arrivals.length));
  });
  return arrivals;
}
