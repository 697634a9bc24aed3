/**
 * Where circuits live, made for a fleet: every change is one atomic step of the store
 * (`record`, `tryProbe`), so instances that share a store count outcomes into one window,
 * open one circuit together and let one probe through between them. The policy keeps no
 * state of its own and writes into nothing it shares.
 *
 * Memory (one process) and Redis (a fleet) implement it; one contract test suite runs
 * against both. Times are explicit epoch ms.
 */
import type { Awaitable } from "./quota-store.js";

export type BreakerState = "closed" | "open" | "half-open";

/** How a circuit judges its window: the same for every instance of a group. */
export interface BreakerRules {
  /** Failures / (failures + successes) at which the circuit opens. */
  readonly failureRatio: number;
  /** Outcomes in the window before the ratio counts. */
  readonly minimumThroughput: number;
  readonly windowMs: number;
  /** Time open before a probe is let through. */
  readonly openMs: number;
  /** A probe that never reports (its instance died) frees the half-open circuit after this. */
  readonly probeLeaseMs: number;
}

/** What an attempt said of the provider's health; `unknown` (a 429, nothing sent) says nothing. */
export type BreakerOutcome = "success" | "failure" | "unknown";

export interface CircuitView {
  readonly state: BreakerState;
  /** Epoch ms the circuit last opened (0 when it never did). */
  readonly openedAt: number;
}

/** A circuit after a step, and what it was before (a transition when they differ). */
export interface CircuitChange extends CircuitView {
  readonly from: BreakerState;
}

export interface ProbeAnswer extends CircuitChange {
  /** This caller is the one probe: it sends, and reports with its probe id. */
  readonly granted: boolean;
}

export interface BreakerStore {
  /** The circuit as it stands; changes nothing. */
  state(group: string, at: number): Awaitable<CircuitView>;
  /**
   * Lets one probe through a circuit that has been open `openMs` (or whose probe's lease
   * ran out): the circuit turns half-open and remembers `probe`. Everyone else is refused.
   */
  tryProbe(group: string, probe: string, at: number, rules: BreakerRules): Awaitable<ProbeAnswer>;
  /**
   * Counts an outcome into the window and moves the circuit: a closed one opens when it
   * fails too often; the probe named `probe` (if it is still the circuit's) closes it on a
   * success, re-opens it on a failure, and lets the next call probe when it said nothing.
   */
  record(group: string, outcome: BreakerOutcome, at: number, rules: BreakerRules, probe?: string): Awaitable<CircuitChange>;
}

/** One circuit: outcomes per tenth of the window, [slice start, failures, successes]. */
interface Circuit {
  state: BreakerState;
  openedAt: number;
  probe: string | undefined;
  probeUntil: number;
  slices: Array<[number, number, number]>;
  /** The slices' sums, kept as slices come and go, so judging the window reads two numbers. */
  failures: number;
  total: number;
  /** The circuit as last viewed, and as last reported by a step that moved nothing: reused until it moves. */
  view: CircuitView;
  steady: CircuitChange;
}

/** A circuit nobody has counted anything in yet. */
const NEVER_USED: CircuitChange = Object.freeze({ from: "closed", state: "closed", openedAt: 0 });
const NEVER_USED_VIEW: CircuitView = Object.freeze({ state: "closed", openedAt: 0 });

export class MemoryBreakerStore implements BreakerStore {
  private readonly circuits = new Map<string, Circuit>();

  state(group: string, _at: number): CircuitView {
    const c = this.circuits.get(group);
    return c === undefined ? NEVER_USED_VIEW : current(c).view;
  }

  tryProbe(group: string, probe: string, at: number, rules: BreakerRules): ProbeAnswer {
    const c = this.circuit(group);
    const from = c.state;
    const due = (c.state === "open" && at - c.openedAt >= rules.openMs) || (c.state === "half-open" && at >= c.probeUntil);
    if (!due) return { granted: false, from, state: c.state, openedAt: c.openedAt };
    c.state = "half-open";
    c.probe = probe;
    c.probeUntil = at + rules.probeLeaseMs;
    return { granted: true, from, state: c.state, openedAt: c.openedAt };
  }

  record(group: string, outcome: BreakerOutcome, at: number, rules: BreakerRules, probe?: string): CircuitChange {
    const c = this.circuit(group);
    const from = c.state;
    const isProbe = probe !== undefined && c.state === "half-open" && c.probe === probe;
    if (isProbe) c.probe = undefined;
    if (outcome === "unknown") {
      // The probe told nothing of the provider's health: the next call may probe at once.
      if (isProbe) Object.assign(c, { state: "open", openedAt: at - rules.openMs });
    } else {
      count(c, at, outcome === "failure", rules.windowMs);
      if (isProbe && outcome === "success") Object.assign(c, { state: "closed", slices: [], failures: 0, total: 0 });
      else if (isProbe) Object.assign(c, { state: "open", openedAt: at });
      else if (c.state === "closed" && failingTooOften(c, rules)) Object.assign(c, { state: "open", openedAt: at });
    }
    // Most steps move nothing (a success in a closed circuit): they share one frozen answer.
    return from === c.state ? current(c).steady : { from, state: c.state, openedAt: c.openedAt };
  }

  private circuit(group: string): Circuit {
    let c = this.circuits.get(group);
    if (!c) this.circuits.set(group, (c = { state: "closed", openedAt: 0, probe: undefined, probeUntil: 0, slices: [], failures: 0, total: 0, view: NEVER_USED_VIEW, steady: NEVER_USED }));
    return c;
  }
}

/** The circuit with its shared answers (a view, a step that moved nothing) made again only once it has moved. */
function current(c: Circuit): Circuit {
  if (c.view.state !== c.state || c.view.openedAt !== c.openedAt) {
    c.view = Object.freeze({ state: c.state, openedAt: c.openedAt });
    c.steady = Object.freeze({ from: c.state, state: c.state, openedAt: c.openedAt });
  }
  return c;
}

/** Counts one outcome in its slice and drops the slices that have left the window: constant work per call. */
function count(c: Circuit, at: number, failed: boolean, windowMs: number): void {
  const sliceMs = Math.max(1, windowMs / 10);
  const start = Math.floor(at / sliceMs) * sliceMs;
  let last = c.slices[c.slices.length - 1];
  if (!last || last[0] !== start) c.slices.push((last = [start, 0, 0]));
  if (failed) last[1]++;
  else last[2]++;
  c.total++;
  if (failed) c.failures++;
  while (c.slices.length > 0 && c.slices[0]![0] + sliceMs <= at - windowMs) {
    const [, failures, successes] = c.slices.shift()!;
    c.failures -= failures;
    c.total -= failures + successes;
  }
}

function failingTooOften(c: Circuit, rules: BreakerRules): boolean {
  return c.total >= rules.minimumThroughput && c.failures / c.total >= rules.failureRatio;
}
