/**
 * A shared breaker store (Redis) with this process's memory behind it: while the shared
 * store is out, this instance judges its circuits alone, from the outcomes it sees itself,
 * and shares again once the store answers. A probe let through locally reports locally.
 */
import { MemoryBreakerStore, type BreakerOutcome, type BreakerRules, type BreakerStore, type CircuitChange, type CircuitView, type ProbeAnswer } from "./breaker-store.js";
import { Fallback, type StateListener } from "./fallback.js";

export class FailoverBreakerStore implements BreakerStore {
  private readonly local = new MemoryBreakerStore();
  private readonly localProbes = new Set<string>();
  private readonly fallback: Fallback;

  constructor(
    private readonly shared: BreakerStore,
    options: { readonly retryAfterMs?: number; readonly onStateChange?: StateListener } = {},
  ) {
    this.fallback = new Fallback(options.retryAfterMs, options.onStateChange);
  }

  state(group: string, at: number): Promise<CircuitView> {
    return this.fallback.either(at, () => this.shared.state(group, at), () => this.local.state(group, at));
  }

  tryProbe(group: string, probe: string, at: number, rules: BreakerRules): Promise<ProbeAnswer> {
    return this.fallback.either(
      at,
      () => this.shared.tryProbe(group, probe, at, rules),
      () => {
        const answer = this.local.tryProbe(group, probe, at, rules);
        if (answer.granted) this.localProbes.add(probe);
        return answer;
      },
    );
  }

  record(group: string, outcome: BreakerOutcome, at: number, rules: BreakerRules, probe?: string): Promise<CircuitChange> | CircuitChange {
    if (probe !== undefined && this.localProbes.delete(probe)) return this.local.record(group, outcome, at, rules, probe);
    return this.fallback.either(at, () => this.shared.record(group, outcome, at, rules, probe), () => this.local.record(group, outcome, at, rules));
  }
}
