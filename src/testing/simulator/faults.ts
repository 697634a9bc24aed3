/**
 * Fault injection: scripted (a queue per operation, consumed one per request) or
 * probabilistic with a seed, plus outage windows. The server asks `next()` once per
 * request and applies what it gets at the right moment (before the handler, or after
 * the write is committed).
 */
import { KindedError } from "../../runtime/core/kinded-error.js";
import { seededRandom, type Random } from "./random.js";

export type DriftKind = "extra-fields" | "missing-optional" | "unknown-enum" | "changed-type";

export type Fault =
  | { readonly kind: "none" }
  | { readonly kind: "status"; readonly status: 429 | 500 | 502 | 503 | 504; readonly retryAfter?: number | string }
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

/** A fault plan that cannot be applied; `errors` name each offending field. */
export class FaultPlanError extends KindedError {
  readonly kind = "fault-plan" as const;
  constructor(readonly errors: ReadonlyArray<{ field: string; message: string }>) {
    super(`invalid fault plan: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`);
  }
}

const MAX_DELAY_MS = 600_000;
const STATUSES = [429, 500, 502, 503, 504];
const DRIFTS = ["extra-fields", "missing-optional", "unknown-enum", "changed-type"];

/** Checks one fault; returns field errors (empty when valid). */
function faultErrors(raw: unknown, field: string): Array<{ field: string; message: string }> {
  const errors: Array<{ field: string; message: string }> = [];
  const bad = (f: string, message: string) => errors.push({ field: f, message });
  if (typeof raw !== "object" || raw === null) {
    bad(field, "must be a fault object");
    return errors;
  }
  const f = raw as Record<string, unknown>;
  const ms = (key: string) => {
    const v = f[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > MAX_DELAY_MS) bad(`${field}.${key}`, `must be a number of ms from 0 to ${MAX_DELAY_MS}`);
  };
  switch (f.kind) {
    case "none":
    case "reset-before":
    case "reset-after-commit":
    case "truncated-json":
    case "malformed-json":
    case "expired-token":
      break;
    case "status":
      if (!STATUSES.includes(f.status as number)) bad(`${field}.status`, `must be one of ${STATUSES.join(", ")}`);
      if (f.retryAfter !== undefined) {
        const ok =
          (typeof f.retryAfter === "number" && Number.isInteger(f.retryAfter) && f.retryAfter >= 0 && f.retryAfter <= 86_400) ||
          (typeof f.retryAfter === "string" && /^[\x20-\x7e]{1,64}$/.test(f.retryAfter) && !Number.isNaN(Date.parse(f.retryAfter)));
        if (!ok) bad(`${field}.retryAfter`, "must be whole seconds from 0 to 86400 or an HTTP date");
      }
      break;
    case "latency":
      ms("ms");
      break;
    case "slow-drip":
      ms("intervalMs");
      if (f.chunkBytes !== undefined && (typeof f.chunkBytes !== "number" || !Number.isInteger(f.chunkBytes) || f.chunkBytes < 1 || f.chunkBytes > 1_048_576)) {
        bad(`${field}.chunkBytes`, "must be a whole number from 1 to 1048576");
      }
      break;
    case "drift":
      if (!DRIFTS.includes(f.drift as string)) bad(`${field}.drift`, `must be one of ${DRIFTS.join(", ")}`);
      break;
    default:
      bad(`${field}.kind`, `unknown fault kind ${JSON.stringify(f.kind)}`);
  }
  return errors;
}

/** Validates a whole plan (from code, the admin endpoint or a `--faults` file). */
export function validateFaultPlan(raw: unknown): FaultPlan {
  const errors: Array<{ field: string; message: string }> = [];
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new FaultPlanError([{ field: "plan", message: "must be an object" }]);
  const plan = raw as Record<string, unknown>;
  for (const key of Object.keys(plan)) if (!["script", "random", "outages"].includes(key)) errors.push({ field: key, message: "is not a fault plan field (script, random, outages)" });
  if (plan.script !== undefined) {
    if (typeof plan.script !== "object" || plan.script === null || Array.isArray(plan.script)) errors.push({ field: "script", message: "must map operationIds to fault lists" });
    else {
      for (const [op, list] of Object.entries(plan.script)) {
        if (!Array.isArray(list)) errors.push({ field: `script.${op}`, message: "must be a list of faults" });
        else list.forEach((fault, i) => errors.push(...faultErrors(fault, `script.${op}[${i}]`)));
      }
    }
  }
  if (plan.random !== undefined) {
    const random = plan.random as Record<string, unknown> | null;
    if (typeof random !== "object" || random === null) errors.push({ field: "random", message: "must be an object" });
    else {
      if (typeof random.rate !== "number" || !(random.rate >= 0 && random.rate <= 1)) errors.push({ field: "random.rate", message: "must be a number from 0 to 1" });
      if (!Array.isArray(random.faults)) errors.push({ field: "random.faults", message: "must be a list of faults" });
      else
        random.faults.forEach((fault, i) => {
          errors.push(...faultErrors(fault, `random.faults[${i}]`));
          const weight = (fault as { weight?: unknown } | null)?.weight;
          if (weight !== undefined && (typeof weight !== "number" || !(weight > 0) || !Number.isFinite(weight))) errors.push({ field: `random.faults[${i}].weight`, message: "must be a positive number" });
        });
      if (random.operations !== undefined && (!Array.isArray(random.operations) || !random.operations.every((o) => typeof o === "string"))) {
        errors.push({ field: "random.operations", message: "must be a list of operationIds" });
      }
    }
  }
  if (plan.outages !== undefined) {
    if (!Array.isArray(plan.outages)) errors.push({ field: "outages", message: "must be a list" });
    else
      plan.outages.forEach((o: unknown, i) => {
        const outage = o as Record<string, unknown> | null;
        for (const key of ["startMs", "durationMs"]) {
          const v = outage?.[key];
          if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 86_400_000) errors.push({ field: `outages[${i}].${key}`, message: "must be ms from 0 to 86400000" });
        }
      });
  }
  if (errors.length > 0) throw new FaultPlanError(errors);
  return plan as FaultPlan;
}

/** What tests and tools can do with a running simulator's faults. */
export interface FaultControls {
  /** Replaces the plan (validated). */
  load(plan: FaultPlan): void;
  /** Appends faults to an operation's script (`*` for whichever operation comes next). */
  enqueue(operationId: string, faults: readonly Fault[]): void;
  /** Everything answers 503 from `startMs` (since the simulator started) for `durationMs`. */
  addOutage(startMs: number, durationMs: number): void;
  clear(): void;
}

export class FaultInjector implements FaultControls {
  private script = new Map<string, Fault[]>();
  private random: RandomFaults | undefined;
  private outages: Array<{ startMs: number; durationMs: number }> = [];

  private rng: Random;

  constructor(
    private readonly seed: number,
    plan: FaultPlan = {},
  ) {
    this.rng = seededRandom(seed);
    this.load(plan);
  }

  /** Back to the plan-less state and the start of the seeded sequence. */
  reset(): void {
    this.rng = seededRandom(this.seed);
    this.clear();
  }

  load(plan: FaultPlan): void {
    validateFaultPlan(plan);
    this.script = new Map(Object.entries(plan.script ?? {}).map(([op, faults]) => [op, [...faults]]));
    this.random = plan.random;
    this.outages = [...(plan.outages ?? [])];
  }

  enqueue(operationId: string, faults: readonly Fault[]): void {
    validateFaultPlan({ script: { [operationId]: faults } });
    const queue = this.script.get(operationId) ?? [];
    queue.push(...faults);
    this.script.set(operationId, queue);
  }

  addOutage(startMs: number, durationMs: number): void {
    validateFaultPlan({ outages: [{ startMs, durationMs }] });
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
