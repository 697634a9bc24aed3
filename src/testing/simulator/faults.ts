/**
 * Fault injection: scripted (a queue per operation, consumed one per request) or
 * probabilistic with a seed, plus outage windows. The server asks `next()` once per
 * request and applies what it gets at the right moment (before the handler, or after
 * the write is committed).
 */
import type { Random } from "./random.js";

export type DriftKind = "extra-fields" | "missing-optional" | "unknown-enum" | "changed-type";

export type Fault =
  | { readonly kind: "none" }
  | { readonly kind: "status"; readonly status: 500 | 502 | 503 | 504; readonly retryAfter?: number | string }
  | { readonly kind: "latency"; readonly ms: number }
  | { readonly kind: "reset-before" }
  | { readonly kind: "reset-after-commit" }
  | { readonly kind: "truncated-json" }
  | { readonly kind: "malformed-json" }
  | { readonly kind: "slow-drip"; readonly intervalMs: number; readonly chunkBytes?: number }
  | { readonly kind: "drift"; readonly drift: DriftKind }
  | { readonly kind: "expired-token" };

export type FaultKind = Fault["kind"];

export interface RandomFaults {
  /** Probability (0..1) that a request gets a fault at all. */
  readonly rate: number;
  /** The faults to choose from, with relative weights (default 1). */
  readonly faults: ReadonlyArray<Fault & { readonly weight?: number }>;
  /** Only these operations (default: all). */
  readonly operations?: readonly string[];
}

export interface FaultPlan {
  /** operationId (or `*` for any) → faults applied to its next requests, in order. */
  readonly script?: Readonly<Record<string, readonly Fault[]>>;
  readonly random?: RandomFaults;
  /** Windows, in ms since the simulator started, during which everything answers 503. */
  readonly outages?: ReadonlyArray<{ readonly startMs: number; readonly durationMs: number }>;
}

export class FaultInjector {
  private script = new Map<string, Fault[]>();
  private random: RandomFaults | undefined;
  private outages: Array<{ startMs: number; durationMs: number }> = [];

  constructor(
    private readonly rng: Random,
    plan: FaultPlan = {},
  ) {
    this.load(plan);
  }

  load(plan: FaultPlan): void {
    this.script = new Map(Object.entries(plan.script ?? {}).map(([op, faults]) => [op, [...faults]]));
    this.random = plan.random;
    this.outages = [...(plan.outages ?? [])];
  }

  /** Appends faults to an operation's script (`*` for whichever operation comes next). */
  enqueue(operationId: string, faults: readonly Fault[]): void {
    const queue = this.script.get(operationId) ?? [];
    queue.push(...faults);
    this.script.set(operationId, queue);
  }

  /** Everything answers 503 from `startMs` (since start) for `durationMs`. */
  addOutage(startMs: number, durationMs: number): void {
    this.outages.push({ startMs, durationMs });
  }

  clear(): void {
    this.load({});
  }

  /** Remaining ms of the outage covering `sinceStartMs`, or 0. */
  outageRemaining(sinceStartMs: number): number {
    let remaining = 0;
    for (const o of this.outages) {
      if (sinceStartMs >= o.startMs && sinceStartMs < o.startMs + o.durationMs) {
        remaining = Math.max(remaining, o.startMs + o.durationMs - sinceStartMs);
      }
    }
    return remaining;
  }

  next(operationId: string): Fault {
    for (const key of [operationId, "*"]) {
      const queue = this.script.get(key);
      if (queue && queue.length > 0) return queue.shift()!;
    }
    const random = this.random;
    if (!random || random.faults.length === 0) return { kind: "none" };
    if (random.operations && !random.operations.includes(operationId)) return { kind: "none" };
    if (this.rng() >= random.rate) return { kind: "none" };
    const total = random.faults.reduce((sum, f) => sum + (f.weight ?? 1), 0);
    let pick = this.rng() * total;
    for (const fault of random.faults) {
      pick -= fault.weight ?? 1;
      if (pick < 0) return fault;
    }
    return random.faults[random.faults.length - 1]!;
  }
}
