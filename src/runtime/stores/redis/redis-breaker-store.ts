/**
 * The breaker store of a fleet: every instance counts into one window per endpoint group
 * in Redis, sees the circuit open together and lets one probe through between them. Each
 * step is one script, one round trip.
 */
import type { BreakerOutcome, BreakerRules, BreakerState, BreakerStore, CircuitChange, CircuitView, ProbeAnswer } from "../breaker-store.js";
import { RECORD, TRY_PROBE } from "./breaker-scripts.js";
import type { RedisConnection } from "./connection.js";

export class RedisBreakerStore implements BreakerStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async state(group: string, _at: number): Promise<CircuitView> {
    const [state, openedAt] = await this.redis.command((client) => client.hmget(this.key(group, "circuit"), "state", "openedAt"));
    return { state: (state as BreakerState | null) ?? "closed", openedAt: Number(openedAt ?? 0) };
  }

  async tryProbe(group: string, probe: string, at: number, rules: BreakerRules): Promise<ProbeAnswer> {
    const [granted, from, state, openedAt] = (await this.redis.run(TRY_PROBE, [this.key(group, "circuit")], [probe, at, rules.openMs, rules.probeLeaseMs, ttlOf(rules)])) as [number, BreakerState, BreakerState, number];
    return { granted: granted === 1, from, state, openedAt: Number(openedAt) };
  }

  async record(group: string, outcome: BreakerOutcome, at: number, rules: BreakerRules, probe?: string): Promise<CircuitChange> {
    const args = [outcome, at, probe ?? "", rules.failureRatio, rules.minimumThroughput, rules.windowMs, rules.openMs, ttlOf(rules)];
    const [from, state, openedAt] = (await this.redis.run(RECORD, [this.key(group, "circuit"), this.key(group, "slices")], args)) as [BreakerState, BreakerState, number];
    return { from, state, openedAt: Number(openedAt) };
  }

  /** One hash tag per group: both of its keys on one Cluster slot. */
  private key(group: string, part: string): string {
    return `${this.prefix}breaker:{${group}}:${part}`;
  }
}

/** A circuit nobody touches for a while is forgotten (closed): long after any window, open time or probe lease. */
function ttlOf(rules: BreakerRules): number {
  return Math.ceil(2 * (rules.windowMs + rules.openMs + rules.probeLeaseMs));
}
