/**
 * A beat on the clock every `everyMs` until stopped: what keeps the leases of work in flight
 * (outbox deliveries, webhook hand-offs) while it runs. One loop for all of the work, not a
 * timer per item, and one beat at a time. A beat that throws ends nothing: the next one comes.
 */
import type { Clock } from "./clock.js";

export interface Heartbeat {
  stop(): void;
}

export function startHeartbeat(clock: Clock, everyMs: number, beat: () => Promise<unknown>): Heartbeat {
  const stopped = new AbortController();
  void (async () => {
    while (await clock.sleep(everyMs, stopped.signal).then(() => !stopped.signal.aborted, () => false)) {
      try {
        await beat();
      } catch {
        // The caller's beat reports its own failures; the loop goes on.
      }
    }
  })();
  return { stop: () => stopped.abort() };
}
