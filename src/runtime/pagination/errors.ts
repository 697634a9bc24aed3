/** Paging's own failures; each is a kind of an existing carewire error, so `kind` and `instanceof` both work. */
import { InvalidRequestError, MalformedResponseError } from "../core/errors.js";

/**
 * The server handed back a cursor, offset, page number or link already followed in this
 * iteration: following it would read the same pages for ever.
 */
export class RepeatedCursorError extends MalformedResponseError {
  constructor(
    status: number,
    /** The operation whose paging went round in a circle. */
    readonly operationId: string,
    /** How many pages had been read when the repeat showed. */
    readonly pagesRead: number,
  ) {
    super(`${operationId}: the server's next page repeats one already read (after ${pagesRead} pages); paging stopped`, status, "");
  }
}

/** A checkpoint saved for another operation or another input was offered to resume this iteration. */
export class CheckpointMismatchError extends InvalidRequestError {
  constructor(
    readonly checkpointName: string,
    readonly operationId: string,
  ) {
    super(`the paging checkpoint "${checkpointName}" was saved for another operation or input than ${operationId}'s; clear it or use another name`);
  }
}
