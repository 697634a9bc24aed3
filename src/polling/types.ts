/** The shapes polling works with: a target that says what changed since a checkpoint, and the batches it hands back. */
import type { ResultMeta } from "../runtime/core/meta.js";

/**
 * Where a target stands, saved after each batch has been handed off. A search keeps the
 * newest `lastUpdated` it handed off and the versions handled at exactly that instant (the
 * next search starts at that instant, inclusive, and skips them: several changes with the
 * same timestamp are neither repeated nor missed). A conditional read keeps the ETag.
 */
export interface PollCheckpoint {
  /** ISO instant of the newest change handed off. */
  readonly lastUpdated?: string;
  /** Versions (`Patient/1/_history/3`) handed off whose `lastUpdated` is exactly `lastUpdated`. */
  readonly handledAtLastUpdated?: readonly string[];
  /** The validator of the version last handed off (a conditional read). */
  readonly etag?: string;
}

/** Changes found by one request or page, and the checkpoint that holds once they are handed off. */
export interface ChangeBatch<C> {
  readonly changes: readonly C[];
  readonly checkpoint: PollCheckpoint;
  /** Provenance of the call that found them. */
  readonly meta?: ResultMeta;
}

/** What a target's poll is given: its bounds. */
export interface PollContext {
  /** Fires when the poll's deadline passes or the poller stops. */
  readonly signal: AbortSignal;
  /** Time left for the poll, in ms: pass it as the calls' `deadlineMs`. */
  readonly deadlineMs: number;
  /** The poller's clock, now (epoch ms). */
  readonly now: number;
}

/**
 * One thing to poll: a key (unique in a poller, also the checkpoint's name), the tenant it
 * is polled for, and how to ask "what changed since this checkpoint".
 */
export interface PollTarget<C> {
  readonly key: string;
  readonly tenant: string;
  /** Which provider answers it: a 429 or an open breaker pauses every target of this tenant and provider. Default `default`. */
  readonly provider?: string;
  /**
   * The changes since `checkpoint` (undefined on the first poll), oldest first, in batches.
   * Yields nothing when nothing changed; throws the call's error (a CarewireError: its
   * `kind`, `retryAt` and `meta` decide a pause) when it fails.
   */
  changesSince(checkpoint: PollCheckpoint | undefined, context: PollContext): AsyncIterable<ChangeBatch<C>>;
}

/** What `onChange` receives. */
export interface PolledChanges<C> {
  readonly key: string;
  readonly tenant: string;
  readonly changes: readonly C[];
  /** The checkpoint saved once `onChange` returns. */
  readonly checkpoint: PollCheckpoint;
  /** The poller's clock when they were handed off (epoch ms). */
  readonly at: number;
  /**
   * Fires when the poll's deadline passes or the poller stops. The poller then stops waiting
   * and the checkpoint stays (the changes come again), but not before this call has settled:
   * end early when it fires.
   */
  readonly signal: AbortSignal;
}
