/**
 * Polling's own failures, as classes with a stable `kind` like the runtime's. None of them
 * quotes a resource or a checkpoint's content: both may hold PHI.
 */
import { KindedError } from "../runtime/core/kinded-error.js";

export type PollingErrorKind = "poll-options" | "poll-checkpoint" | "poll-data";

export class PollingError extends KindedError<PollingErrorKind> {
  constructor(
    readonly kind: PollingErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An option the poller or a target cannot work with (an interval below zero, two targets with one key). */
export class PollOptionsError extends PollingError {
  constructor(message: string) {
    super("poll-options", message);
  }
}

/** A checkpoint store could not be opened, read or written, or holds a checkpoint it cannot read back. Nothing was handed off on its account. */
export class PollCheckpointError extends PollingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("poll-checkpoint", message, options);
  }
}

/** What a server answered cannot be placed in time (a resource without `meta.lastUpdated`): the poll stops before handing it off. */
export class PollDataError extends PollingError {
  constructor(message: string) {
    super("poll-data", message);
  }
}
