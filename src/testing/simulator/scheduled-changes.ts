/**
 * Data that changes by itself: every `everyMs` on the simulator's clock one resource of the
 * spec's resources is updated (its timestamp-like fields set to now), or now and then a new
 * one created from an existing one. A demo then shows live change (webhooks, polling) with
 * no client writing anything; the draws follow the simulator's seed.
 */
import type { ResourceCatalog } from "./resources.js";
import { seededRandom } from "./random.js";
import type { ResourceStore } from "./state.js";
import { waitUnlessStopped, type SimulatorTime } from "./clock.js";

export interface ScheduledChangesOptions {
  /** Time between changes, ms on the simulator's clock. */
  readonly everyMs: number;
  /** The share of changes that create a resource rather than update one. Default 0.2. */
  readonly createFraction?: number;
  /** Stop after this many changes. Default: until the simulator closes. */
  readonly limit?: number;
}

const STAMP = /^(updated|modified|last_?updated|last_?modified|changed)(_?at|_?on|_?time)?$/i;

export class ScheduledChanges {
  private readonly stopping = new AbortController();
  private readonly running: Promise<void>;
  private readonly random: () => number;
  /** Changes made so far. */
  made = 0;

  constructor(
    private readonly options: ScheduledChangesOptions,
    private readonly catalog: ResourceCatalog,
    private readonly store: ResourceStore,
    private readonly clock: SimulatorTime,
    seed: number,
  ) {
    if (!(options.everyMs > 0) || !Number.isFinite(options.everyMs)) throw new RangeError("changes.everyMs must be a positive number of ms");
    // A spec of calls with no resource collections (callbacks, RPC) has nothing to change: say so rather than change nothing for ever.
    if (catalog.shapes.length === 0) throw new RangeError("changes: this spec has no resource collections the simulator keeps (a list path with an item path below it), so there is nothing to change on a schedule");
    this.random = seededRandom(seed);
    this.running = this.loop();
  }

  async close(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (this.made < (this.options.limit ?? Number.POSITIVE_INFINITY) && (await waitUnlessStopped(this.clock, this.options.everyMs, this.stopping.signal))) {
      if (this.changeOne()) this.made++;
    }
  }

  /** One change to a random resource that exists; false when none does yet. */
  private changeOne(): boolean {
    const filled = this.catalog.shapes.filter((shape) => this.store.list(shape.collection).length > 0);
    const shape = filled[Math.floor(this.random() * filled.length)];
    if (shape === undefined) return false;
    const items = this.store.list(shape.collection);
    const base = items[Math.floor(this.random() * items.length)]!;
    const stamped = { ...structuredClone(base), ...stampsOf(base, this.clock.now()) };
    if (this.random() < (this.options.createFraction ?? 0.2)) {
      const numeric = shape.idSchema?.type === "integer" || shape.idSchema?.type === "number";
      let id = this.store.nextId(shape.collection, numeric);
      while (this.store.get(shape.collection, String(id)) !== undefined) id = this.store.nextId(shape.collection, numeric);
      this.store.put(shape.collection, String(id), { ...stamped, [shape.idProperty]: id });
    } else {
      this.store.put(shape.collection, String(base[shape.idProperty]), stamped);
    }
    return true;
  }
}

/** The resource's "updated at" fields set to now, in the form each already has. */
function stampsOf(resource: Record<string, unknown>, now: number): Record<string, unknown> {
  const stamps: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (!STAMP.test(key)) continue;
    if (typeof value === "number") stamps[key] = value > 1e11 ? now : Math.floor(now / 1000);
    else if (typeof value === "string") stamps[key] = new Date(now).toISOString();
  }
  return stamps;
}
