/**
 * Group commit: every write submitted in the same turn of the event loop (many request
 * handlers enqueueing at once) goes into one transaction, so they share one wait for the disk.
 * Writes with different group keys are written apart. If a shared transaction fails, each of
 * its writes is tried alone, so one bad write fails only its own caller.
 */
export interface GroupCommit<Item, Result> {
  submit(item: Item): Promise<Result>;
  /** Writes what is waiting now and resolves when every write submitted so far has settled. */
  drain(): Promise<void>;
}

export function groupCommit<Item, Result>(write: (items: readonly Item[]) => Result[] | Promise<Result[]>, groupOf: (item: Item) => unknown = () => undefined): GroupCommit<Item, Result> {
  type Waiting = { readonly item: Item; readonly resolve: (result: Result) => void; readonly reject: (error: unknown) => void };
  let waiting: Waiting[] = [];
  let scheduled = false;
  const inFlight = new Set<Promise<void>>();

  const writeAlone = async (entry: Waiting) => {
    try {
      entry.resolve((await write([entry.item]))[0]!);
    } catch (error) {
      entry.reject(error);
    }
  };

  const writeGroup = async (group: readonly Waiting[]) => {
    let results: Result[];
    try {
      results = await write(group.map((entry) => entry.item));
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      await Promise.all(group.map(writeAlone));
      return;
    }
    group.forEach((entry, i) => entry.resolve(results[i]!));
  };

  function flush(): void {
    scheduled = false;
    const entries = waiting;
    waiting = [];
    const groups = new Map<unknown, Waiting[]>();
    for (const entry of entries) {
      const key = groupOf(entry.item);
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = []));
      group.push(entry);
    }
    for (const group of groups.values()) {
      const done = writeGroup(group).finally(() => inFlight.delete(done));
      inFlight.add(done);
    }
  }

  return {
    submit(item) {
      return new Promise<Result>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => scheduled && flush());
      });
    },
    async drain() {
      if (waiting.length > 0) flush();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
