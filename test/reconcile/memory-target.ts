/** A provider held in a Map, as an operations target, counting its lookups and failing on request. */
import { operationTarget, type Key, type ReconcileTarget } from "../../src/reconcile/index.js";

export interface Row {
  readonly mrn: string;
  readonly name: string;
}

export function memoryTarget(rows: readonly Row[], options: { failOnLookup?: number; list?: boolean; id?: string } = {}): ReconcileTarget<Row> & { lookups: number } {
  let lookups = 0;
  const target = operationTarget<Row>({
    id: options.id ?? "memory",
    key: (r) => r.mrn,
    batchSize: 2,
    async lookup(keys: readonly Key[]) {
      lookups++;
      if (lookups === options.failOnLookup) throw new Error("the provider went away");
      const wanted = new Set(keys);
      return rows.filter((r) => wanted.has(r.mrn));
    },
    ...(options.list === false ? {} : { list: async function* () { yield* rows; } }),
  });
  return {
    ...target,
    get lookups() {
      return lookups;
    },
  };
}
