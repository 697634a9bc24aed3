/**
 * Polling's own failures, as classes with a stable `kind` like the runtime's. None of them
 * quotes a resource or a checkpoint's content: both may hold PHI.
 */

export abstract class PollingError extends Error {
  abstract readonly kind: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option the poller or a target cannot work with (an interval below zero, two targets with one key). */
export class PollOptionsError extends PollingError {
  readonly kind = "poll-options" as const;
}

/** A checkpoint store could not be opened, read or written, or holds a checkpoint it cannot read back. Nothing was handed off on its account. */
export class PollCheckpointError extends PollingError {
  readonly kind = "poll-checkpoint" as const;
}

/** What a server answered cannot be placed in time (a resource without `meta.lastUpdated`): the poll stops before handing it off. */
export class PollDataError extends PollingError {
  readonly kind = "poll-data" as const;
}
