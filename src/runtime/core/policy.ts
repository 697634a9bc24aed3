/**
 * The seam every resilience policy plugs into. A policy wraps the attempts of one
 * call: it may act before (wait for a rate budget, add a header), call `next` once
 * or several times (retry), or not at all (open breaker, cache hit).
 * Policies compose as an onion: the first in the list is the outermost.
 */
import type { Clock } from "./clock.js";
import type { OperationDescriptor, OperationSchemas } from "./operation.js";
import type { AttemptRecord, DataSource, ResultMeta } from "./meta.js";
import type { CarewireEvent } from "./telemetry.js";
import type { RawCallInput } from "../wire/request.js";
import type { Exchange } from "../wire/transport.js";
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
  readonly clock: Clock;
  /** Uniform in [0, 1); seeded in tests. */
  readonly random: () => number;
  /** Epoch ms after which no new attempt or wait starts (from `deadlineMs`). */
  readonly deadline: number | undefined;
  /** The overall time the call was given (`deadlineMs`), for messages. */
  readonly deadlineMs?: number;
  /** The caller's signal. Waits also end at `deadline`. */
  readonly signal: AbortSignal | undefined;
  /** Set by the idempotency policy; every attempt carries it. */
  idempotencyKey: string | undefined;
  /** Set by the cache policy when data did not come from the network. */
  source: DataSource;
  ageMs: number | undefined;
  /** Extra provenance set by policies (rate-limit state, breaker state). */
  readonly extraMeta: { -readonly [K in "rateLimit" | "breaker"]?: ResultMeta[K] };
  /** Adds the retry policy's verdict to the latest attempt. */
  annotateAttempt(patch: Pick<AttemptRecord, "outcome" | "reason">): void;
  /** Hash of method, path and body: identifies a write for reconciliation, holds no PHI. */
  fingerprint(): string;
  /** Telemetry for this call (provider, operation, request id filled in). */
  emit(event: CarewireEvent): void;
  /** Set by the pacing policy: a 429 told us the client must hold until `retryAt`. */
  onThrottled?: (retryAt: number) => void;
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
