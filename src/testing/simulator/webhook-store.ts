/**
 * The simulator's resource store, telling a listener what changed: a put of a new id is a
 * create, of a known id an update, and a delete a delete. Whatever changes the data (the
 * API, a custom handler, the change schedule) is seen, so webhooks follow the data.
 */
import { ResourceStore, type Resource } from "./state.js";

export interface ResourceChange {
  readonly action: "created" | "updated" | "deleted";
  /** The collection's path template (`/patients`). */
  readonly collection: string;
  readonly id: string;
}

export class ObservedResourceStore extends ResourceStore {
  private listener: ((change: ResourceChange) => void) | undefined;
  private muted = false;

  /** Starts telling `listener` about changes (one listener; undefined stops). */
  observe(listener: ((change: ResourceChange) => void) | undefined): void {
    this.listener = listener;
  }

  /** Runs `work` without telling anyone (seeding the examples is not a change). */
  quietly(work: () => void): void {
    // Seeding can start inside a quiet stretch (a collection's first use while another seeds).
    const wasMuted = this.muted;
    this.muted = true;
    try {
      work();
    } finally {
      this.muted = wasMuted;
    }
  }

  override put(collection: string, id: string, resource: Resource): void {
    const action = this.get(collection, id) === undefined ? "created" : "updated";
    super.put(collection, id, resource);
    this.tell({ action, collection, id });
  }

  override delete(collection: string, id: string): boolean {
    const deleted = super.delete(collection, id);
    if (deleted) this.tell({ action: "deleted", collection, id });
    return deleted;
  }

  private tell(change: ResourceChange): void {
    if (!this.muted) this.listener?.(change);
  }
}
