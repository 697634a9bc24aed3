/**
 * The seam every resilience policy plugs into. A policy wraps the attempts of one
 * call: it may act before (wait for a rate budget, add a header), call `next` once
 * or several times (retry), or not at all (open breaker, cache hit).
 * Policies compose as an onion: the first in the list is the outermost.
 */
import type { OperationDescriptor, OperationSchemas } from "./operation.js";
import type { AttemptRecord } from "./provenance.js";
import type { RawCallInput } from "./request.js";
import type { Exchange } from "./transport.js";
import type { CallOptions } from "./types.js";

export interface CallContext {
  readonly provider: string;
  readonly operation: OperationDescriptor;
  readonly schemas: OperationSchemas;
  readonly input: RawCallInput;
  readonly options: CallOptions;
  /** carewire's correlation id for the call. */
  readonly requestId: string;
  /** Headers policies add to every attempt of this call (e.g. Idempotency-Key). */
  readonly headers: Headers;
  /** Filled by the transport as attempts happen. */
  readonly attempts: AttemptRecord[];
  /** `performance.now()` at the start of the call. */
  readonly startedAt: number;
  /** A policy that waits before the next attempt records the wait here for `meta`. */
  nextDelayMs: number;
}

/** Runs the next layer: eventually one attempt on the wire. */
export type Next = () => Promise<Exchange>;

export interface Policy {
  readonly name: string;
  execute(context: CallContext, next: Next): Promise<Exchange>;
}

export function composePolicies(policies: readonly Policy[], context: CallContext, attempt: Next): Next {
  return policies.reduceRight<Next>((next, policy) => () => policy.execute(context, next), attempt);
}
