/** The shapes reconciliation works with: a source of the app's own records, a target to read, and the key that joins them. */

/**
 * A record's business key (an MRN, an order number). It appears in reports and may itself
 * be an identifier of a person: see the `hashKeys` option.
 */
export type Key = string;

export type KeyOf<R> = (record: R) => Key | undefined;

/** The app's own records, read from the start on every run in the same order (a resumed run skips what it has done). */
export interface ReconcileSource<S> extends AsyncIterable<S> {
  /**
   * What this source is (a file's path, size and time; a hash of an array), kept in the
   * checkpoint so a resumed run refuses a different source. Without one, a checkpoint cannot
   * tell two sources apart.
   */
  readonly id?: string;
}

/** The provider's side, read by keys in batches and, when it can be, listed whole. */
export interface ReconcileTarget<T> {
  /** What is read (base URL, type, identifier system), kept in the checkpoint like the source's id. */
  readonly id: string;
  /** The records with these keys, in any order; a key with no record is missing. Extra records are ignored. */
  lookup(keys: readonly Key[]): Promise<readonly T[]>;
  /** Every record on the provider, to find the ones the source does not have. Without it, `extra` is not checked. */
  list?(): AsyncIterable<T>;
  /** The business key of a target record. */
  readonly keyOf?: KeyOf<T>;
  /** Keys per lookup (what one request can carry). */
  readonly batchSize?: number;
}

/** Field paths (`birthDate`, `name[0].family`) that differ between a source record and its target record; empty when they agree. */
export type Compare<S, T> = (source: S, target: T) => readonly string[];
