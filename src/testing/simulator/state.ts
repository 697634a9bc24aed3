/**
 * Stateful mode: resources created through the simulator can be read back, updated,
 * listed and deleted. Collections are keyed by path template (`/patients`), items by
 * the value of the item path's last parameter.
 */
export type Resource = Record<string, unknown>;

export class ResourceStore {
  private readonly collections = new Map<string, Map<string, Resource>>();
  private readonly sequences = new Map<string, number>();
  private filler: ((collection: string) => void) | undefined;
  private readonly filled = new Set<string>();

  /**
   * `fill` runs the first time a collection is used (again after a reset). The simulator seeds
   * a spec's documented examples this way: only for the collections a client reaches, since
   * sampling every collection's example on a spec of a thousand operations took seconds
   * before the server could listen.
   */
  fillOnFirstUse(fill: (collection: string) => void): void {
    this.filler = fill;
  }

  private use(collection: string): void {
    if (this.filler === undefined || this.filled.has(collection)) return;
    this.filled.add(collection);
    this.filler(collection);
  }

  /** A new id for a collection: `pat-1`, `pat-2`… from the collection name (integers when the spec wants them). */
  nextId(collection: string, numeric: boolean): string | number {
    this.use(collection);
    const n = (this.sequences.get(collection) ?? 0) + 1;
    this.sequences.set(collection, n);
    if (numeric) return n;
    const name = collection.split("/").filter((s) => s && !s.startsWith("{")).at(-1) ?? "res";
    return `${name.replace(/[^A-Za-z0-9]/g, "").slice(0, 3).toLowerCase() || "res"}-${n}`;
  }

  put(collection: string, id: string, resource: Resource): void {
    this.use(collection);
    let items = this.collections.get(collection);
    if (!items) {
      items = new Map();
      this.collections.set(collection, items);
    }
    items.set(id, resource);
  }

  get(collection: string, id: string): Resource | undefined {
    this.use(collection);
    return this.collections.get(collection)?.get(id);
  }

  delete(collection: string, id: string): boolean {
    this.use(collection);
    return this.collections.get(collection)?.delete(id) ?? false;
  }

  list(collection: string): Resource[] {
    this.use(collection);
    return [...(this.collections.get(collection)?.values() ?? [])];
  }

  /** Whether anything was ever stored in a collection (list endpoints fall back to samples until then). */
  has(collection: string): boolean {
    this.use(collection);
    return this.collections.has(collection);
  }

  reset(): void {
    this.collections.clear();
    this.sequences.clear();
    this.filled.clear();
  }
}

/** What a custom handler may do with the simulator's resources. */
export type ResourceStoreView = Pick<ResourceStore, "get" | "put" | "delete" | "list" | "has" | "nextId">;
