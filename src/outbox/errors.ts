/**
 * The outbox's own failures, as classes with a stable `kind` like the runtime's. None of
 * them quotes an intent's payload: it may hold PHI.
 */
import { KindedError } from "../runtime/core/kinded-error.js";

export abstract class OutboxError extends KindedError {}

/** The store could not be reached, or refused a read or write (disk full, connection lost). Nothing was recorded. */
export class OutboxStoreError extends OutboxError {
  readonly kind = "outbox-store" as const;
}

/** The database driver the chosen store needs is not installed (an optional peer dependency). */
export class OutboxDriverMissingError extends OutboxError {
  readonly kind = "outbox-driver-missing" as const;
  constructor(
    readonly driver: "better-sqlite3" | "pg",
    cause?: unknown,
  ) {
    super(`the outbox needs the "${driver}" package: npm install ${driver === "better-sqlite3" ? "better-sqlite3@12" : "pg@8"}`, { cause });
  }
}

/** An enqueue the outbox refused as it stands: an operation it does not know, input that is not JSON, a bad option. Nothing was recorded. */
export class OutboxInputError extends OutboxError {
  readonly kind = "outbox-input" as const;
}
