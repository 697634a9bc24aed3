/**
 * A poll target over any generated operation: the app says how to ask (a call given the
 * checkpoint) and how to read the answer (the changes in it and the checkpoint after them).
 * A failed call is thrown as its typed error, so a 429 or an open circuit pauses the tenant.
 */
import type { CallOptions, Result } from "../runtime/core/types.js";
import type { ChangeBatch, PollCheckpoint, PollTarget } from "./types.js";

export interface OperationTargetOptions<D, C> {
  readonly key: string;
  readonly tenant: string;
  readonly provider?: string;
  /** One call of the operation, asking for what changed since `checkpoint`; pass `options` on (its deadline and signal bound the call). */
  call(checkpoint: PollCheckpoint | undefined, options: CallOptions): Promise<Result<D, Error>>;
  /** The changes in `data` and the checkpoint once they are handed off; `undefined` when nothing changed. `response` has the headers (an ETag). */
  changes(data: D, checkpoint: PollCheckpoint | undefined, response: Response): Omit<ChangeBatch<C>, "meta"> | undefined;
}

export function operationTarget<D, C>(options: OperationTargetOptions<D, C>): PollTarget<C> {
  return {
    key: options.key,
    tenant: options.tenant,
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    async *changesSince(checkpoint, context) {
      const result = await options.call(checkpoint, { signal: context.signal, deadlineMs: context.deadlineMs });
      if (result.error !== undefined) throw result.error;
      const found = options.changes(result.data, checkpoint, result.response);
      if (found !== undefined) yield { ...found, meta: result.meta };
    },
  };
}
