/**
 * Any provider as a reconciliation target, through operations the user names on a generated
 * client: one that finds records by a list of keys, and optionally one that lists them all.
 */
import type { Key, KeyOf, ReconcileTarget } from "./types.js";

export interface OperationTargetOptions<T> {
  /** What is read (provider and operation names), kept in the checkpoint so a resume against another target is refused. */
  readonly id: string;
  /** The records with these keys: wraps the operation that searches by key (a missing key simply has no record). Throw to stop the run. */
  readonly lookup: (keys: readonly Key[]) => Promise<readonly T[]>;
  /** Every record on the provider (following its paging), to find extra records. */
  readonly list?: () => AsyncIterable<T>;
  /** The business key of a returned record. */
  readonly key: KeyOf<T>;
  /** Keys per lookup. Default 100. */
  readonly batchSize?: number;
}

export function operationTarget<T>(options: OperationTargetOptions<T>): ReconcileTarget<T> {
  const list = options.list;
  return {
    id: `operations:${options.id}`,
    lookup: options.lookup,
    keyOf: options.key,
    batchSize: options.batchSize ?? 100,
    ...(list ? { list: () => list() } : {}),
  };
}
