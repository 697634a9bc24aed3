/**
 * The state of one call as policies see it (`CallContext`). A class rather than an
 * object literal: its helpers live on the prototype, so a call allocates no closures
 * for them, and a call without telemetry builds no event objects.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../wire/canonical-json.js";
import type { Clock } from "./clock.js";
import type { OperationDescriptor, OperationSchemas } from "./operation.js";
import type { CallContext } from "./policy.js";
import type { AttemptRecord, DataSource, ResultMeta } from "./meta.js";
import type { RawCallInput } from "../wire/request.js";
import type { CarewireEvent, TelemetryEvent } from "./telemetry.js";
import type { CallOptions } from "./types.js";

export type MutableAttemptRecord = { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] };

/** Taken when an attempt starts; the record is completed when it ends. */
export interface AttemptStart {
  readonly attempt: number;
  /** `performance.now()` at the start, for the duration. */
  readonly startedMs: number;
  readonly startedAt: string;
  readonly delayMs: number;
}

/** What a call starts with: the given part of its context, plus where telemetry goes. */
export interface CallStateInit extends Pick<CallContext, "provider" | "operation" | "schemas" | "input" | "options" | "requestId" | "clock" | "random" | "deadline" | "deadlineMs"> {
  readonly tenant: string | undefined;
  /** Where telemetry goes; undefined when nobody listens. */
  readonly sink: ((event: TelemetryEvent) => void) | undefined;
}

export class CallState implements CallContext {
  readonly provider: string;
  readonly operation: OperationDescriptor;
  readonly schemas: OperationSchemas;
  readonly input: RawCallInput;
  readonly options: CallOptions;
  readonly requestId: string;
  readonly headers: Headers = new Headers();
  readonly attempts: MutableAttemptRecord[] = [];
  readonly startedAt = performance.now();
  nextDelayMs = 0;
  readonly clock: Clock;
  readonly random: () => number;
  readonly deadline: number | undefined;
  readonly deadlineMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  idempotencyKey: string | undefined = undefined;
  source: DataSource = "network";
  ageMs: number | undefined = undefined;
  readonly extraMeta: { -readonly [K in "rateLimit" | "breaker"]?: ResultMeta[K] } = {};
  onThrottled?: (retryAt: number) => void;
  private readonly tenant: string | undefined;
  private readonly sink: ((event: TelemetryEvent) => void) | undefined;

  constructor(init: CallStateInit) {
    this.provider = init.provider;
    this.operation = init.operation;
    this.schemas = init.schemas;
    this.input = init.input;
    this.options = init.options;
    this.requestId = init.requestId;
    this.clock = init.clock;
    this.random = init.random;
    this.deadline = init.deadline;
    this.deadlineMs = init.deadlineMs;
    this.signal = init.options.signal;
    this.tenant = init.tenant;
    this.sink = init.sink;
  }

  annotateAttempt(patch: Pick<AttemptRecord, "outcome" | "reason">): void {
    const last = this.attempts[this.attempts.length - 1];
    if (last) Object.assign(last, patch);
  }

  fingerprint(): string {
    const { operation, input } = this;
    return createHash("sha256").update(`${operation.method}\n${operation.path}\n${canonicalJson(input.params?.path ?? {})}\n${canonicalJson(input.body ?? null)}`).digest("hex");
  }

  emit(event: CarewireEvent): void {
    if (this.sink) this.sink({ ...event, provider: this.provider, operationId: this.operation.operationId, requestId: this.requestId, ...(this.tenant ? { tenant: this.tenant } : {}), time: this.clock.now() });
  }

  /** Adds a finished attempt to `meta` and tells telemetry (its event built only if someone listens). */
  recordAttempt(start: AttemptStart, end: Pick<AttemptRecord, "status" | "errorKind">): void {
    const { attempt, delayMs } = start;
    const durationMs = performance.now() - start.startedMs;
    this.attempts.push({ attempt, startedAt: start.startedAt, durationMs, delayMs, ...end });
    if (this.sink) this.emit({ type: "attempt", attempt, durationMs, delayMs, ...(end.status !== undefined ? { status: end.status } : {}), ...(end.errorKind ? { errorKind: end.errorKind } : {}) });
  }
}
