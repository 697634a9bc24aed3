/**
 * What one instance learns about its provider's quota, the others know too: the limit the
 * server's rate-limit headers name, and the estimate made from 429s where nothing names
 * one. Both go to the quota store as they change; every instance reads them back now and
 * then (in the background, never in a call's way, except once before its first send, so a
 * new instance joins a fleet that has already learned at its pace instead of finding the
 * quota again with 429s). The newest estimate wins, whoever made it.
 */
import type { Clock } from "../core/clock.js";
import { quietly } from "../stores/fallback.js";
import type { QuotaKnowledge, QuotaStore } from "../stores/quota-store.js";
import type { LearnedQuota } from "./pacing-quota.js";
import type { ProbedQuota } from "./quota-probe.js";

/** How often an instance reads what the others learned. */
const REFRESH_MS = 100;

const SERVER = "requests#server";
const PROBE = "requests#probe";

export class SharedLearning {
  /** What the server's headers said (it counts, so it wins over config and spec). */
  server: LearnedQuota | undefined;
  /** The estimate learned from 429s alone, where nothing else names a quota. */
  probed: ProbedQuota | undefined;
  private serverVersion = -Infinity;
  private syncedAt = -Infinity;
  private syncing: Promise<void> | undefined;
  private first: Promise<void> | undefined;
  private firstDone = false;

  constructor(
    /** The store other clients share; undefined: this client's own, kept with nobody to tell. */
    private readonly store: QuotaStore | undefined,
    private readonly key: string,
    private readonly clock: Clock,
  ) {}

  /**
   * Reads what the others learned when it is time to: before the first send (the caller
   * waits for that one), then at most every 100 ms in the background.
   */
  refresh(): Promise<void> | undefined {
    if (this.store?.known === undefined) return undefined;
    const now = this.clock.now();
    if (this.first === undefined) this.first = this.read(now).finally(() => (this.firstDone = true));
    if (!this.firstDone) return this.first;
    if (this.syncing !== undefined || now - this.syncedAt < REFRESH_MS) return undefined;
    this.syncing = this.read(now).finally(() => (this.syncing = undefined));
    return undefined;
  }

  /**
   * The server named a quota: kept, and told to the others when it changed (the call that
   * learned it waits for that one write, so the fleet knows before its answer is returned).
   */
  learnedFromServer(quota: LearnedQuota): Promise<unknown> | undefined {
    if (this.server?.limit === quota.limit && this.server.windowMs === quota.windowMs) return undefined;
    this.server = quota;
    this.serverVersion = this.clock.now();
    return this.tell(SERVER, { version: this.serverVersion, value: JSON.stringify(quota) });
  }

  /** The estimate from 429s changed: kept, and told to the others. */
  learnedFromThrottling(quota: ProbedQuota): Promise<unknown> | undefined {
    if (quota === this.probed) return undefined;
    this.probed = quota;
    return this.tell(PROBE, { version: quota.changedAt, value: JSON.stringify(quota) });
  }

  /** Sharing is an optimization: a store that fails here costs the others a lesson, never a call. */
  private tell(name: string, knowledge: QuotaKnowledge): Promise<unknown> | undefined {
    const written = quietly(() => this.store?.share?.(this.key, name, knowledge));
    return written instanceof Promise ? written : undefined;
  }

  private async read(now: number): Promise<void> {
    this.syncedAt = now;
    let known: Readonly<Record<string, QuotaKnowledge>> | undefined;
    try {
      known = await this.store?.known?.(this.key);
    } catch {
      return;
    }
    const server = known?.[SERVER];
    if (server !== undefined && server.version > this.serverVersion) {
      const quota = parsed(server.value, isLearned);
      if (quota) {
        this.server = quota;
        this.serverVersion = server.version;
      }
    }
    const probe = known?.[PROBE];
    if (probe !== undefined && probe.version > (this.probed?.changedAt ?? -Infinity)) {
      const quota = parsed(probe.value, isProbed);
      if (quota) this.probed = quota;
    }
  }
}

/** A stored value is data from outside this process: parsed and checked, never trusted. */
function parsed<T>(value: string, check: (v: unknown) => v is T): T | undefined {
  try {
    const v: unknown = JSON.parse(value);
    return check(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function positive(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}

function isLearned(v: unknown): v is LearnedQuota {
  return typeof v === "object" && v !== null && positive((v as LearnedQuota).limit) && positive((v as LearnedQuota).windowMs);
}

function isProbed(v: unknown): v is ProbedQuota {
  if (!isLearned(v)) return false;
  const p = v as ProbedQuota;
  return (
    typeof p.changedAt === "number" &&
    typeof p.throttledAt === "number" &&
    (p.phase === "climb" || p.phase === "hold") &&
    positive(p.probeEvery) &&
    (p.good === undefined || positive(p.good))
  );
}
