/**
 * A shared quota store that may fail (Redis stopped, slow, restarting) with a local one
 * behind it. When the shared store errs or times out, this instance paces alone on its
 * share of each limit (limit × `localShare`, e.g. ÷ the expected number of instances),
 * counting its own sends of the last window (every grant is mirrored locally), and tries
 * the shared store again after `retryAfterMs`; when it answers, pacing is shared again,
 * within the local share too for one more window. Calls never wait on a store that is down: each command is bounded, and while the
 * store is out none is sent.
 */
import { quietly, tell, type StateListener } from "./fallback.js";
import { MemoryQuotaStore } from "./memory-quota-store.js";
import { extraId, type AcquireAnswer, type AcquireRequest, type QuotaDemand, type QuotaKnowledge, type QuotaObservation, type QuotaStore } from "./quota-store.js";

export interface FailoverOptions {
  /** Share of each limit one instance takes while the shared store is out (0–1]. */
  readonly localShare: number;
  /** Time after a failure before the shared store is asked again. Default 1 s. */
  readonly retryAfterMs?: number;
  /** Told when this instance starts pacing alone, and when it shares again. */
  readonly onStateChange?: StateListener;
}

/** The answer, and whether it came from the local fallback (for the pacing policy's telemetry). */
export type FailoverAnswer = AcquireAnswer & { readonly local?: true };

export class FailoverQuotaStore implements QuotaStore {
  /** This instance's own sends (every grant mirrored), and its window while the shared store is out. */
  private readonly local = new MemoryQuotaStore();
  /** Sends granted locally: their settle and cancel stay local. */
  private readonly localSends = new Set<string>();
  private downUntil = 0;
  /** Paced alone since the last shared answer. */
  private wasLocal = false;
  /**
   * Until then, after an outage, a send needs this instance's share locally as well: the
   * shared store came back without the sends granted while it was out (a restarted Redis is
   * empty), and shares that add up to the quota cannot overfill it meanwhile.
   */
  private guardUntil = 0;
  private readonly retryAfterMs: number;

  constructor(
    private readonly shared: QuotaStore,
    private readonly options: FailoverOptions,
  ) {
    this.retryAfterMs = options.retryAfterMs ?? 1_000;
  }

  async acquire(request: AcquireRequest): Promise<FailoverAnswer> {
    const { key, id, now, demands } = request;
    if (now >= this.downUntil) {
      // Trying the shared store again after an outage is guarded too.
      const guarded = this.wasLocal || now < this.guardUntil;
      if (guarded) {
        const alone = this.local.acquire({ key, id, now, demands: this.scaled(demands) });
        if (!alone.granted) return alone;
      }
      try {
        // Guarded, one send at a time: each needs the local check too.
        const answer = await this.shared.acquire(guarded ? { ...request, count: 1, spare: 0 } : request);
        if (this.wasLocal) {
          this.wasLocal = false;
          tell(this.options.onStateChange, "shared");
          this.guardUntil = now + Math.max(0, ...demands.map((d) => d.windowMs));
        }
        if (answer.granted && !guarded) {
          this.local.record(key, id, answer.at, demands, now);
          answer.more?.forEach((at, k) => this.local.record(key, extraId(id, k + 1), at, demands, now));
        }
        if (!answer.granted && guarded) this.local.cancel(key, id, demands);
        return answer;
      } catch {
        this.downUntil = now + this.retryAfterMs;
        if (guarded) {
          // Granted by the local check above: it stands as a local grant.
          this.localSends.add(id);
          this.goLocal();
          return { granted: true, at: now, local: true };
        }
      }
    }
    this.goLocal();
    // Alone, on this instance's share, counting its own sends of the last window.
    const answer = this.local.acquire({ ...request, demands: this.scaled(demands) });
    if (answer.granted) {
      this.localSends.add(id);
      answer.more?.forEach((_, k) => this.localSends.add(extraId(id, k + 1)));
    }
    return { ...answer, local: true };
  }

  async settle(key: string, id: string, at: number, demands: readonly QuotaDemand[]): Promise<void> {
    this.local.settle(key, id, at, demands);
    if (this.localSends.delete(id)) return;
    // A settle lost to an outage leaves the send at its start time: a little generous, never stuck.
    await quietly(() => this.shared.settle(key, id, at, demands));
  }

  async cancel(key: string, id: string, demands: readonly QuotaDemand[]): Promise<void> {
    this.local.cancel(key, id, demands);
    if (this.localSends.delete(id)) return;
    await quietly(() => this.shared.cancel(key, id, demands));
  }

  private goLocal(): void {
    if (this.wasLocal) return;
    this.wasLocal = true;
    tell(this.options.onStateChange, "local");
  }

  /** Each demand at this instance's share of its limit. */
  private scaled(demands: readonly QuotaDemand[]): QuotaDemand[] {
    const share = this.options.localShare;
    return demands.map((d) => ({ ...d, limit: Math.max(1, Math.floor(d.limit * share)), ...(d.reserve ? { reserve: Math.floor(d.reserve * share) } : {}) }));
  }

  async pause(key: string, until: number): Promise<void> {
    // Held locally too, so the pause outlives an outage that starts right after it.
    this.local.pause(key, until);
    await quietly(() => this.shared.pause(key, until));
  }

  async pausedUntil(key: string): Promise<number> {
    const shared = await quietly(() => this.shared.pausedUntil(key));
    return Math.max(shared ?? 0, this.local.pausedUntil(key));
  }

  async observe(key: string, observation: QuotaObservation, now: number): Promise<void> {
    if (now < this.downUntil) {
      const share = this.options.localShare;
      // What the server says is spent is spent for every instance: this one's share of it.
      if (observation.remaining !== undefined) this.local.observe(key, { ...observation, limit: Math.max(1, Math.floor(observation.limit * share)), remaining: Math.floor(observation.remaining * share) }, now);
      return;
    }
    await quietly(() => this.shared.observe(key, observation, now));
  }

  async share(key: string, name: string, knowledge: QuotaKnowledge): Promise<void> {
    this.local.share(key, name, knowledge);
    await quietly(() => this.shared.share?.(key, name, knowledge));
  }

  async known(key: string): Promise<Readonly<Record<string, QuotaKnowledge>>> {
    const shared = await quietly(() => this.shared.known?.(key));
    return { ...this.local.known(key), ...shared };
  }

  async usage(key: string, name: string, from: number): Promise<number> {
    return (await quietly(() => this.shared.usage(key, name, from))) ?? this.local.usage(key, name, from);
  }

  async close(): Promise<void> {
    await this.shared.close?.();
  }

}
