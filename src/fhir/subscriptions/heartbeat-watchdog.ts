/**
 * Notices a silent subscription: when nothing (no notification, no heartbeat) has arrived
 * for the heartbeat period plus a margin, `onSilence` is called, then again after each
 * further silent period. It runs on the given clock, so a test moves it with fake time.
 */
import type { Clock } from "../../runtime/core/clock.js";

export class HeartbeatWatchdog {
  private lastHeard: number;
  private readonly stop = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly marginMs: number,
    /** Called with how long the subscription has been silent. */
    private readonly onSilence: (silentMs: number) => void,
  ) {
    this.lastHeard = clock.now();
  }

  /** Something arrived from the server. */
  heard(): void {
    this.lastHeard = this.clock.now();
  }

  start(): void {
    this.running ??= this.loop().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    let alarmedAt = Number.NEGATIVE_INFINITY;
    while (!this.stop.signal.aborted) {
      // Counted from whichever is later: the last thing heard, or the last alarm.
      const due = Math.max(this.lastHeard, alarmedAt) + this.periodMs + this.marginMs;
      const now = this.clock.now();
      if (now >= due) {
        alarmedAt = now;
        this.onSilence(now - this.lastHeard);
        continue;
      }
      await this.clock.sleep(due - now, this.stop.signal);
    }
  }
}
