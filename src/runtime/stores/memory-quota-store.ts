/**
 * The quota store of one process: a sliding log per key and quota, answered synchronously
 * (the pacing policy then takes no promise per call). The Redis store runs the same
 * algorithm as one Lua script; both pass the same contract tests.
 */
import { FairShare } from "./fair-share.js";
import { extraId, tenantQuota, type AcquireAnswer, type AcquireRequest, type QuotaDemand, type QuotaKnowledge, type QuotaObservation, type QuotaStore, type QuotaWindow } from "./quota-store.js";

interface Send {
  readonly id: string;
  at: number;
  readonly cost: number;
  /** Its response has come (or it never left): its time will not move again. */
  settled: boolean;
}

interface Log {
  /** Sends in the window, oldest first. */
  sends: Send[];
  used: number;
}

export class MemoryQuotaStore implements QuotaStore {
  readonly answersAtOnce = true;
  private readonly logs = new Map<string, Log>();
  private readonly pauses = new Map<string, number>();
  private phantoms = 0;
  private readonly knowledge = new Map<string, Record<string, QuotaKnowledge>>();
  private readonly fair = new FairShare();

  acquire(request: AcquireRequest): AcquireAnswer {
    const { key, now, tenant, demands } = request;
    // Each quota's log, pruned once for the whole request (extras included).
    const logs = demands.map((d) => this.pruned(key, d, now));
    const shared = tenant === undefined ? -1 : demands.findIndex((d) => d.name === tenant.quota);
    const own = tenant === undefined ? -1 : demands.findIndex((d) => d.name === tenantQuota(tenant.name));
    if (tenant !== undefined && shared >= 0) {
      this.fair.seen(key, tenant, now, demands[shared]!.windowMs);
      const over = this.pastShare(request, logs, shared, own);
      if (over !== undefined) return { granted: false, retryAt: over };
    }
    const first = this.acquireOne(request, logs, request.id, false);
    // A tenant waits for room when the shared quota refused it, not its own budget.
    if (tenant !== undefined && (first.granted || own < 0 || fits(logs[own]!, demands[own]!))) this.fair.answered(key, tenant, first.granted, now);
    const count = request.count ?? 1;
    const spare = request.spare ?? 0;
    if (!first.granted || (count <= 1 && spare <= 0)) return first;
    const more: number[] = [];
    for (let k = 1; k < count + spare; k++) {
      const extra = this.acquireOne(request, logs, extraId(request.id, k), k >= count);
      if (!extra.granted) break;
      more.push(extra.at);
    }
    return more.length > 0 ? { granted: true, at: first.at, more } : first;
  }

  /** One send into the request's logs; a spare one only now, and only into a window at most half used. */
  private acquireOne(request: AcquireRequest, logs: readonly Log[], id: string, spare: boolean): AcquireAnswer {
    const { key, now, demands } = request;
    // Booked sends are in the log at their future times and count as used: a send granted
    // now, or booked earlier than one of them, cannot overfill any window they fall in.
    let fitAt = Math.max(now, this.pauses.get(key) ?? 0);
    /** No booking on the time of a send still in flight: its response moves it later. */
    let firm = true;
    for (let i = 0; i < demands.length; i++) {
      const demand = demands[i]!;
      const log = logs[i]!;
      const room = demand.limit - (demand.reserve ?? 0);
      if (spare && log.used + demand.cost > room / 2) return { granted: false, retryAt: now };
      if (log.used + demand.cost <= room) continue;
      const fit = earliestFit(log, demand.cost, room, demand.windowMs);
      fitAt = Math.max(fitAt, fit.at);
      firm &&= fit.firm;
    }
    if (fitAt > now && (spare || !(firm && fitAt <= (request.bookUntil ?? -Infinity)))) return { granted: false, retryAt: fitAt };
    for (let i = 0; i < demands.length; i++) insert(logs[i]!, { id, at: fitAt, cost: demands[i]!.cost, settled: false });
    return { granted: true, at: fitAt };
  }

  /**
   * When the request's tenant is past its share while another tenant waits: the time to
   * ask again (one slot's time at the quota's pace), else undefined.
   */
  private pastShare(request: AcquireRequest, logs: readonly Log[], shared: number, own: number): number | undefined {
    const primary = request.demands[shared]!;
    const share = this.fair.shareWhileOthersWait(request.key, request.tenant!, primary.limit);
    if (share === undefined || own < 0 || logs[own]!.used + request.demands[own]!.cost <= share) return undefined;
    return request.now + primary.windowMs / primary.limit;
  }

  /** Records a send granted elsewhere (a shared store's grant, mirrored), with no check. */
  record(key: string, id: string, at: number, demands: readonly QuotaDemand[], now = at): void {
    // Pruned as of now, not as of a booked time: a send booked ahead still counts what is in the window now.
    for (const demand of demands) insert(this.pruned(key, demand, Math.min(now, at)), { id, at, cost: demand.cost, settled: false });
  }

  settle(key: string, id: string, at: number, demands: readonly QuotaDemand[]): void {
    for (const demand of demands) {
      const found = this.find(key, demand.name, id);
      if (!found) continue; // already left the window
      const { log, i } = found;
      const send = log.sends[i]!;
      send.settled = true;
      if (send.at >= at) continue;
      log.sends.splice(i, 1);
      log.used -= send.cost;
      send.at = at;
      insert(log, send);
    }
  }

  cancel(key: string, id: string, demands: readonly QuotaDemand[]): void {
    for (const demand of demands) {
      const found = this.find(key, demand.name, id);
      if (!found) continue;
      found.log.used -= found.log.sends[found.i]!.cost;
      found.log.sends.splice(found.i, 1);
    }
  }

  pause(key: string, until: number): void {
    this.pauses.set(key, Math.max(this.pauses.get(key) ?? 0, until));
  }

  pausedUntil(key: string): number {
    return this.pauses.get(key) ?? 0;
  }

  observe(key: string, observation: QuotaObservation, now: number): void {
    if (observation.remaining === undefined) return;
    const log = this.pruned(key, observation, now);
    const spentElsewhere = observation.limit - observation.remaining - log.used;
    if (spentElsewhere <= 0) return;
    // Held until the server's window resets (or a whole window, when it did not say).
    const at = observation.resetAt === undefined ? now : observation.resetAt - observation.windowMs;
    insert(log, { id: `server-count-${++this.phantoms}`, at, cost: spentElsewhere, settled: true });
  }

  share(key: string, name: string, knowledge: QuotaKnowledge): void {
    let known = this.knowledge.get(key);
    if (!known) this.knowledge.set(key, (known = {}));
    if ((known[name]?.version ?? -Infinity) < knowledge.version) known[name] = { version: knowledge.version, value: knowledge.value };
  }

  known(key: string): Readonly<Record<string, QuotaKnowledge>> {
    return { ...this.knowledge.get(key) };
  }

  usage(key: string, name: string, from: number): number {
    let units = 0;
    for (const send of this.logs.get(logKey(key, name))?.sends ?? []) if (send.at > from && send.settled) units += send.cost;
    return units;
  }

  /**
   * A send by id, looked for from the newest end: the sends settled or cancelled are the
   * recent ones, and a log kept while the quota is unknown holds a minute of sends.
   */
  private find(key: string, name: string, id: string): { log: Log; i: number } | undefined {
    const log = this.logs.get(logKey(key, name));
    if (!log) return undefined;
    for (let i = log.sends.length - 1; i >= 0; i--) if (log.sends[i]!.id === id) return { log, i };
    return undefined;
  }

  private log(key: string, name: string): Log {
    const k = logKey(key, name);
    let log = this.logs.get(k);
    if (!log) this.logs.set(k, (log = { sends: [], used: 0 }));
    return log;
  }

  /** The log with every send that left the window by `now` dropped. */
  private pruned(key: string, window: QuotaWindow, now: number): Log {
    const log = this.log(key, window.name);
    let drop = 0;
    while (drop < log.sends.length && log.sends[drop]!.at <= now - window.windowMs) log.used -= log.sends[drop++]!.cost;
    if (drop > 0) log.sends.splice(0, drop);
    return log;
  }
}

/** Whether one more send of `demand` fits its own window (its reserve kept). */
function fits(log: Log, demand: QuotaDemand): boolean {
  return log.used + demand.cost <= demand.limit - (demand.reserve ?? 0);
}

function logKey(key: string, name: string): string {
  return `${key}\u0000${name}`;
}

/** Keeps the log in time order (a settled send moves later). */
function insert(log: Log, send: Send): void {
  let i = log.sends.length;
  while (i > 0 && log.sends[i - 1]!.at > send.at) i--;
  log.sends.splice(i, 0, send);
  log.used += send.cost;
}

/**
 * When enough of the oldest sends have left the window for `cost` to fit under `room`, and
 * whether that time is firm (every send it waits for has settled). A cost larger than the
 * room can never fit: Infinity.
 */
function earliestFit(log: Log, cost: number, room: number, windowMs: number): { at: number; firm: boolean } {
  if (cost > room) return { at: Infinity, firm: true };
  let mustFree = log.used + cost - room;
  let firm = true;
  for (const send of log.sends) {
    mustFree -= send.cost;
    firm &&= send.settled;
    if (mustFree <= 0) return { at: send.at + windowMs, firm };
  }
  return { at: Infinity, firm: true };
}
