/** The typed surface of paging: a page, its items and the options of one iteration, derived from the operation's types. */
import type { RequiredKeysOf } from "openapi-typescript-helpers";
import type { ResultMeta } from "../core/meta.js";
import type { CallInput, CallOptions, SuccessData } from "../core/types.js";
import type { PagingCheckpoint } from "./checkpoint.js";

/** The type at a body path (each step through an object's property), `unknown` where the type has none. */
export type ValueAtPath<T, P extends readonly string[]> = P extends readonly [infer Head extends string, ...infer Rest extends readonly string[]]
  ? ValueAtPath<T extends object ? (Head extends keyof T ? T[Head] : unknown) : unknown, Rest>
  : T;

/** The element type of the items array at `P` in the operation's success body. */
export type PageItem<Op, P extends readonly string[]> = NonNullable<ValueAtPath<SuccessData<Op>, P>> extends ReadonlyArray<infer Item> ? Item : unknown;

/** One page: its items, the body they came in, and the page call's response and meta. */
export interface Page<Data, Item> {
  /** 1-based, counting the pages of every run of a resumed iteration. */
  readonly number: number;
  readonly items: readonly Item[];
  readonly data: Data;
  readonly response: Response;
  readonly meta: ResultMeta;
}

/** A page of a generated operation. */
export type OperationPage<Op, P extends readonly string[]> = Page<SuccessData<Op>, PageItem<Op, P>>;

export interface PagingOptions extends CallOptions {
  /**
   * Most pages this iteration reads before it stops with LimitExceededError (`pages`): a
   * server whose pages never end must not be followed for ever. Default 1,000. With a
   * checkpoint, the position after the last page read is saved, so a later run continues.
   */
  readonly maxPages?: number;
  /** Items per page, sent in the operation's page-size parameter (when it has one). */
  readonly pageSize?: number;
  /**
   * Keep the position under `name` in `store` and continue from it: a run that stopped
   * (a crash, an error, a `break`) resumes after the last page it handled in full.
   */
  readonly checkpoint?: { readonly store: PagingCheckpoint; readonly name: string };
}

/** The argument list of a generated `…All` / `…Pages` function: as the operation's, with paging options. */
export type PagingArgs<Op> =
  RequiredKeysOf<CallInput<Op>> extends never ? [input?: CallInput<Op>, options?: PagingOptions] : [input: CallInput<Op>, options?: PagingOptions];
