/**
 * Reconciliation's own failures, as classes with a stable `kind`. Their messages name a line
 * or record number and never quote a record: records hold PHI.
 */
import { KindedError } from "../runtime/core/kinded-error.js";

export abstract class ReconcileError extends KindedError {}

/** The source cannot be read as given: a missing file, a line that is not a JSON object or is too long, a record with no business key. */
export class SourceError extends ReconcileError {
  readonly kind = "reconcile-source" as const;
  constructor(
    message: string,
    /** The 1-based line (NDJSON) or record number, when the problem is in one. */
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The checkpoint was written by a run with another source, target or settings. Resuming
 * would mix two runs' results into one report, so nothing is read from it.
 */
export class CheckpointMismatchError extends ReconcileError {
  readonly kind = "reconcile-checkpoint-mismatch" as const;
  constructor(readonly differs: ReadonlyArray<"source" | "target" | "settings" | "format">) {
    super(`the checkpoint belongs to a run with a different ${differs.join(" and ")}: use another checkpoint file, or delete it to start again`);
  }
}

/** The checkpoint file cannot be opened or written (not a checkpoint, no disk space, the SQLite driver missing). */
export class CheckpointError extends ReconcileError {
  readonly kind = "reconcile-checkpoint" as const;
}
