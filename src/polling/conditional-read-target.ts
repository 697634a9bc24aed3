/**
 * One resource as a poll target, read conditionally: the request carries the ETag of the
 * version last handed off (If-None-Match), so an unchanged resource costs a 304 and no body.
 * With the client's cache on, carewire revalidates on its own and a 304 comes back as the
 * cached data (`meta.source: "cache"`); after a restart, with an empty cache, the ETag
 * comes from the checkpoint. Either way a version already handed off is never handed again.
 */
import type { Resource } from "fhir/r4.js";
import type { Result } from "../runtime/core/types.js";
import type { PollTarget } from "./types.js";
import { weakEtag } from "../fhir/interactions.js";

/** What the target asks of a resource client (a generated client's `fhir.Patient` has it). */
export interface ConditionalRead<R extends Resource> {
  read(id: string, options?: { readonly signal?: AbortSignal; readonly deadlineMs?: number; readonly headers?: Readonly<Record<string, string>> }): Promise<Result<R, Error>>;
}

export interface ConditionalReadTargetOptions {
  /** Default `<tenant>/<id>`. */
  readonly key?: string;
  readonly tenant: string;
  readonly provider?: string;
  readonly id: string;
}

export function conditionalReadTarget<R extends Resource>(resources: ConditionalRead<R>, options: ConditionalReadTargetOptions): PollTarget<R> {
  return {
    key: options.key ?? `${options.tenant}/${options.id}`,
    tenant: options.tenant,
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    async *changesSince(checkpoint, context) {
      const etag = checkpoint?.etag;
      const result = await resources.read(options.id, { signal: context.signal, deadlineMs: context.deadlineMs, ...(etag !== undefined ? { headers: { "If-None-Match": etag } } : {}) });
      if (result.error !== undefined) {
        // Our own If-None-Match answered 304 with nothing cached to stand in for it: unchanged.
        if ((result.error as { status?: unknown }).status === 304) return;
        throw result.error;
      }
      const resource = result.data;
      const versionId = resource.meta?.versionId;
      const current = result.response.headers.get("etag") ?? (versionId !== undefined ? weakEtag(versionId) : undefined);
      if (current !== undefined && current === etag) return;
      // Only a readable instant is kept: a checkpoint the store refuses would bring this version back on every poll.
      const lastUpdated = resource.meta?.lastUpdated;
      const readable = lastUpdated !== undefined && !Number.isNaN(Date.parse(lastUpdated));
      yield { changes: [resource], checkpoint: { ...(current !== undefined ? { etag: current } : {}), ...(readable ? { lastUpdated } : {}) }, meta: result.meta };
    },
  };
}
