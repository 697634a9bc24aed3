/**
 * The outbox store a command line names (`sqlite:<file>`, `postgres://…`): its module and
 * driver are loaded only then, and a name of no known kind is the caller's to fix (a usage
 * error, exit 2), not a failure of the store.
 */
import type { OutboxStore } from "../outbox/outbox-store.js";
import { UsageError } from "./usage-error.js";

/** `existing`: only an outbox already there (the outbox commands); reconcile may start one with its repairs. */
export async function openOutboxArgument(url: string, options: { readonly existing: boolean } = { existing: true }): Promise<OutboxStore> {
  const [{ openOutboxStore }, { OutboxInputError }] = await Promise.all([import("../outbox/open-store.js"), import("../outbox/errors.js")]);
  try {
    // The outbox commands read or mend an outbox the app made: a file that is not there is a typo, not a new outbox.
    return await openOutboxStore(url, { existing: options.existing });
  } catch (error) {
    if (error instanceof OutboxInputError) throw new UsageError(error.message);
    throw error;
  }
}
