/**
 * The quota store of a fleet: every instance on one client_id paces against one window in
 * Redis. Each method is one script, one round trip.
 */
import { randomId } from "../../portable/random-id.js";
import { tenantQuota, type AcquireAnswer, type AcquireRequest, type QuotaDemand, type QuotaKnowledge, type QuotaObservation, type QuotaStore } from "../quota-store.js";
import type { RedisConnection } from "./connection.js";
import { ACQUIRE, CANCEL, OBSERVE, PAUSE, SETTLE, SHARE, USAGE } from "./quota-scripts.js";

/** Keys live this long past their last write, so an abandoned client_id leaves nothing behind. */
const TTL_WINDOWS = 2;

/** What the fleet learned about a quota outlives its windows: a day past the last change. */
const KNOWLEDGE_TTL_MS = 24 * 60 * 60 * 1000;

export class RedisQuotaStore implements QuotaStore {
  constructor(
    private readonly redis: RedisConnection,
    /** Put before every key: several apps (or test runs) can share one Redis. */
    readonly prefix: string,
  ) {}

  async acquire(request: AcquireRequest): Promise<AcquireAnswer> {
    const { key, demands } = request;
    const { tenant } = request;
    // 1-based positions of the demand the tenants share and of the tenant's own; without the first, no tenant rule applies.
    const shared = tenant === undefined ? 0 : demands.findIndex((d) => d.name === tenant.quota) + 1;
    const own = tenant === undefined ? 0 : demands.findIndex((d) => d.name === tenantQuota(tenant.name)) + 1;
    const args: Array<string | number> = [request.now, request.id, ttlOf(demands), request.bookUntil ?? "", Math.max(1, Math.floor(request.count ?? 1)), Math.max(0, Math.floor(request.spare ?? 0)), shared > 0 ? tenant!.name : "", tenant?.weight ?? 1, shared, own];
    for (const d of demands) args.push(d.name, d.limit, d.windowMs, d.cost, d.reserve ?? 0);
    const keys = [this.key(key, "pause"), this.key(key, "used"), this.key(key, "pending"), this.key(key, "fair"), ...demands.map((d) => this.log(key, d.name))];
    const answer = (await this.redis.run(ACQUIRE, keys, args)) as [number, ...string[]];
    if (answer[0] !== 1) return { granted: false, retryAt: answer[1] === "inf" ? Infinity : Number(answer[1]) };
    const at = Number(answer[1]);
    return answer.length > 2 ? { granted: true, at, more: answer.slice(2).map(Number) } : { granted: true, at };
  }

  async settle(key: string, id: string, at: number, demands: readonly QuotaDemand[]): Promise<void> {
    await this.redis.run(SETTLE, [this.key(key, "pending"), ...demands.map((d) => this.log(key, d.name))], [...demands.map((d) => member(id, d.cost)), at]);
  }

  async cancel(key: string, id: string, demands: readonly QuotaDemand[]): Promise<void> {
    await this.redis.run(CANCEL, [this.key(key, "used"), this.key(key, "pending"), ...demands.map((d) => this.log(key, d.name))], [...demands.map((d) => member(id, d.cost)), ...demands.map((d) => d.name)]);
  }

  async pause(key: string, until: number): Promise<void> {
    await this.redis.run(PAUSE, [this.key(key, "pause")], [until]);
  }

  async pausedUntil(key: string): Promise<number> {
    const value = await this.redis.command((client) => client.get(this.key(key, "pause")));
    return value === null ? 0 : Number(value);
  }

  async observe(key: string, observation: QuotaObservation, now: number): Promise<void> {
    if (observation.remaining === undefined) return;
    const { name, limit, windowMs, remaining, resetAt } = observation;
    await this.redis.run(OBSERVE, [this.key(key, "used"), this.log(key, name), this.key(key, "pending")], [now, name, limit, windowMs, remaining, resetAt ?? "", `server-count-${randomId()}`, windowMs * TTL_WINDOWS]);
  }

  async usage(key: string, name: string, from: number): Promise<number> {
    return Number(await this.redis.run(USAGE, [this.log(key, name), this.key(key, "pending")], [from]));
  }

  async share(key: string, name: string, knowledge: QuotaKnowledge): Promise<void> {
    await this.redis.run(SHARE, [this.key(key, "learned")], [name, knowledge.version, knowledge.value, KNOWLEDGE_TTL_MS]);
  }

  async known(key: string): Promise<Record<string, QuotaKnowledge>> {
    const raw = await this.redis.command((client) => client.hgetall(this.key(key, "learned")));
    const out: Record<string, QuotaKnowledge> = {};
    for (const [name, entry] of Object.entries(raw)) {
      const bar = entry.indexOf("|");
      const version = Number(entry.slice(0, bar));
      if (bar > 0 && Number.isFinite(version)) out[name] = { version, value: entry.slice(bar + 1) };
    }
    return out;
  }

  close(): Promise<void> {
    return this.redis.close();
  }

  /** One hash tag per provider + client_id: all its keys on one Cluster slot. */
  private key(key: string, part: string): string {
    return `${this.prefix}{${key}}:${part}`;
  }

  private log(key: string, name: string): string {
    return this.key(key, `log:${name}`);
  }
}

function member(id: string, cost: number): string {
  return `${id}|${cost}`;
}

function ttlOf(demands: readonly QuotaDemand[]): number {
  return Math.ceil(Math.max(1_000, ...demands.map((d) => d.windowMs)) * TTL_WINDOWS);
}
