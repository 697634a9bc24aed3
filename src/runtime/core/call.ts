/**
 * One logical call as every attempt and policy sees it: what was asked, of which
 * operation, by when, and where telemetry goes. Set once when the call starts and never
 * written after: what changes from attempt to attempt lives in the attempt's plan.
 * A class rather than an object literal, so a call allocates no closures for its helpers
 * and builds no event objects when nobody listens.
 */
import { sha256Hex } from "../portable/sha256.js";
import { canonicalJson } from "../wire/canonical-json.js";
import type { ClassifyOptions } from "./classify.js";
import type { Clock } from "./clock.js";
import type { OperationDescriptor, OperationSchemas } from "./operation.js";
import { requestTarget, type RawCallInput, type RequestTarget } from "../wire/request.js";
import type { CarewireEvent, TelemetryEvent } from "./telemetry.js";
import type { CallOptions } from "./types.js";
import type { CallObserver } from "../observe/call-observer.js";

/** What a call starts with: the given part of it, plus where telemetry goes. */
export type CallInit = Pick<Call, "provider" | "operation" | "schemas" | "input" | "options" | "requestId" | "clock" | "random" | "deadlineMs" | "classify" | "tenant"> & {
  /** Where telemetry goes; undefined when nobody listens. */
  readonly sink: ((event: TelemetryEvent) => void) | undefined;
  /** The call's OpenTelemetry observer; undefined when nothing records. */
  readonly observer?: CallObserver | undefined;
};

export class Call {
  readonly provider: string;
  readonly operation: OperationDescriptor;
  readonly schemas: OperationSchemas;
  readonly input: RawCallInput;
  readonly options: CallOptions;
  /** carewire's correlation id for the call. */
  readonly requestId: string;
  readonly clock: Clock;
  /** Uniform in [0, 1); seeded in tests. */
  readonly random: () => number;
  /** `performance.now()` when the call started. */
  readonly startedAt = performance.now();
  /** Epoch ms on the clock when the call started. */
  readonly startedAtMs: number;
  /** The overall time the call was given, in ms (for messages). */
  readonly deadlineMs: number;
  /** Epoch ms after which no attempt or wait starts; undefined when unbounded. */
  readonly deadline: number | undefined;
  /** The caller's signal: it ends attempts and waits alike. */
  readonly signal: AbortSignal | undefined;
  /** How attempts of this provider are classified (its extra retryable statuses, its protocol's refinement). */
  readonly classify: ClassifyOptions;
  readonly tenant: string | undefined;
  /** Where the call's spans and metrics go (OpenTelemetry); undefined when nothing records. */
  readonly observer: CallObserver | undefined;
  private readonly sink: ((event: TelemetryEvent) => void) | undefined;
  private madeTarget: RequestTarget | undefined;

  constructor(init: CallInit) {
    this.provider = init.provider;
    this.operation = init.operation;
    this.schemas = init.schemas;
    this.input = init.input;
    this.options = init.options;
    this.requestId = init.requestId;
    this.clock = init.clock;
    this.random = init.random;
    this.startedAtMs = init.clock.now();
    this.deadlineMs = init.deadlineMs;
    this.deadline = Number.isFinite(init.deadlineMs) ? this.startedAtMs + init.deadlineMs : undefined;
    this.signal = init.options.signal;
    this.classify = init.classify;
    this.tenant = init.tenant;
    this.sink = init.sink;
    this.observer = init.observer;
  }

  /** Whether anyone takes the call's events: an `onEvent` sink or logger, or OpenTelemetry (so callers build no event nobody takes). */
  get observed(): boolean {
    return this.sink !== undefined || this.observer !== undefined;
  }

  /**
   * Whether an `onEvent` sink or logger listens. Events only it takes are built only for it:
   * the wire's record of each attempt (OpenTelemetry gives attempts spans of their own) and
   * the quota snapshots, which read the quota store.
   */
  get logged(): boolean {
    return this.sink !== undefined;
  }

  /**
   * The filled-in path and query string, serialized on first use and kept: the same for
   * every attempt, and the cache's key is made of them too. Derived from the input alone.
   */
  get target(): RequestTarget {
    return (this.madeTarget ??= requestTarget(this.operation, this.input));
  }

  /** A header the caller set for this call, through a header parameter or the call's `headers` (names compared case-insensitively). */
  headerGiven(name: string): unknown {
    return headerIn(this.input.params?.header, name) ?? headerIn(this.options.headers, name);
  }

  /** Hash of method, path and body: identifies a write for reconciliation, holds no PHI. */
  fingerprint(): string {
    const { operation, input } = this;
    return sha256Hex(`${operation.method}\n${operation.path}\n${canonicalJson(input.params?.path ?? {})}\n${canonicalJson(input.body ?? null)}`);
  }

  /** Telemetry for this call, with provider, operation and request id filled in. */
  emit(event: CarewireEvent): void {
    this.observer?.onEvent(event);
    if (this.sink) this.sink({ ...event, provider: this.provider, operationId: this.operation.operationId, requestId: this.requestId, ...(this.tenant ? { tenant: this.tenant } : {}), time: this.clock.now() });
  }
}

function headerIn(headers: Readonly<Record<string, unknown>> | undefined, name: string): unknown {
  if (headers === undefined) return undefined;
  const wanted = name.toLowerCase();
  for (const key in headers) if (key.toLowerCase() === wanted) return headers[key];
  return undefined;
}
