/**
 * Where a pacing window lives. In memory by default; a shared store (several instances
 * of one app on one client_id) keeps one window for all of them.
 */
export interface PacingStore {
  /** Earliest epoch ms ≥ now at which a send fits the window (and any pause). */
  nextFree(key: string, now: number, limit: number, windowMs: number): Promise<number>;
  /** Records a send at `at`. */
  record(key: string, at: number, windowMs: number): Promise<void>;
  /**
   * Moves a recorded send from `sentAt` to `doneAt`, when its response arrived. The server
   * counted the request somewhere in between; only the later bound never undercounts.
   */
  restamp(key: string, sentAt: number, doneAt: number, windowMs: number): Promise<void>;
  /** Holds every send of `key` until `until` (never shortens an existing pause). */
  pause(key: string, until: number): Promise<void>;
  pausedUntil(key: string): Promise<number>;
}

export class MemoryPacingStore implements PacingStore {
  private readonly sends = new Map<string, number[]>();
  private readonly pauses = new Map<string, number>();

  async nextFree(key: string, now: number, limit: number, windowMs: number): Promise<number> {
    const paused = this.pauses.get(key) ?? 0;
    const t = Math.max(now, paused);
    const log = this.prune(key, t, windowMs);
    if (log.length < limit) return t;
    // The send that must leave the window for one more to fit.
    return Math.max(t, log[log.length - limit]! + windowMs);
  }

  async record(key: string, at: number, windowMs: number): Promise<void> {
    const log = this.prune(key, at, windowMs);
    let i = log.length;
    while (i > 0 && log[i - 1]! > at) i--;
    log.splice(i, 0, at);
  }

  async restamp(key: string, sentAt: number, doneAt: number, windowMs: number): Promise<void> {
    const log = this.sends.get(key);
    const i = log?.indexOf(sentAt) ?? -1;
    if (!log || i < 0) return; // already left the window
    log.splice(i, 1);
    await this.record(key, doneAt, windowMs);
  }

  async pause(key: string, until: number): Promise<void> {
    this.pauses.set(key, Math.max(this.pauses.get(key) ?? 0, until));
  }

  async pausedUntil(key: string): Promise<number> {
    return this.pauses.get(key) ?? 0;
  }

  private prune(key: string, now: number, windowMs: number): number[] {
    let log = this.sends.get(key);
    if (!log) this.sends.set(key, (log = []));
    let drop = 0;
    while (drop < log.length && log[drop]! <= now - windowMs) drop++;
    if (drop > 0) log.splice(0, drop);
    return log;
  }
}
