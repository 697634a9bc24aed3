/**
 * Unit tests for policies, carewire's or your own, with no sockets: a plan for a call on
 * a fake clock, attempt results as the wire would classify them, and a scripted `next`
 * that records the plans it was given.
 */
import type { AttemptPlan, AttemptResult, Send } from "../runtime/core/attempt.js";
import { Call } from "../runtime/core/call.js";
import type { ClassifyOptions } from "../runtime/core/classify.js";
import { attemptResult } from "../runtime/core/send-on-wire.js";
import type { Clock } from "../runtime/core/clock.js";
import type { CarewireError } from "../runtime/core/errors.js";
import type { OperationDescriptor, OperationSchemas } from "../runtime/core/operation.js";
import type { TelemetryEvent } from "../runtime/core/telemetry.js";
import type { CallOptions } from "../runtime/core/types.js";
import type { RawCallInput } from "../runtime/wire/request.js";
import { FakeClock } from "./fake-clock.js";

export interface PlanSetup {
  readonly operation: OperationDescriptor;
  readonly input?: RawCallInput;
  readonly options?: CallOptions;
  readonly clock?: Clock;
  readonly provider?: string;
  readonly tenant?: string;
  readonly deadlineMs?: number;
  readonly classify?: ClassifyOptions;
  /** Uniform in [0, 1); default 0.5 (jitter in the middle). */
  readonly random?: () => number;
  /** Receives the call's telemetry. */
  readonly onEvent?: (event: TelemetryEvent) => void;
}

const NO_SCHEMAS: OperationSchemas = { responses: {} };

/** The plan of a call's first attempt, as the pipeline makes it. */
export function planFor(setup: PlanSetup): AttemptPlan {
  const call = new Call({
    provider: setup.provider ?? "test",
    operation: setup.operation,
    schemas: NO_SCHEMAS,
    input: setup.input ?? {},
    options: setup.options ?? {},
    requestId: "req-1",
    clock: setup.clock ?? new FakeClock(),
    random: setup.random ?? (() => 0.5),
    deadlineMs: setup.deadlineMs ?? 120_000,
    classify: setup.classify ?? {},
    tenant: setup.tenant,
    sink: setup.onEvent,
  });
  return { call, headers: {}, attempt: 1, delayMs: 0, replaySafe: setup.options?.replaySafe === true };
}

/** An attempt that got an answer: classified and its hints read as the wire does. */
export function answered(plan: AttemptPlan, status: number, init: { readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> } = {}): AttemptResult {
  const text = init.body === undefined ? "" : JSON.stringify(init.body);
  const body = new TextEncoder().encode(text);
  const headers = new Headers({ ...(text ? { "content-type": "application/json" } : {}), ...init.headers });
  const response = new Response(status === 204 || status === 304 || text === "" ? null : text, { status, headers });
  const exchange = { request: new Request("http://stub.invalid/"), response, body, ...(text ? { json: { value: init.body } } : {}) };
  return attemptResult(plan, exchange, undefined, "", 0);
}

/** An attempt that was sent and failed below HTTP (a reset, a timeout). */
export function failed(plan: AttemptPlan, error: CarewireError): AttemptResult {
  return attemptResult(plan, undefined, error, "", 0);
}

/** A `next` that answers from a script, one step per attempt, and keeps the plans it saw. */
export interface ScriptedSend extends Send {
  readonly plans: readonly AttemptPlan[];
}

export function scriptedNext(...steps: ReadonlyArray<(plan: AttemptPlan) => AttemptResult | Promise<AttemptResult>>): ScriptedSend {
  const plans: AttemptPlan[] = [];
  const send = async (plan: AttemptPlan): Promise<AttemptResult> => {
    plans.push(plan);
    const step = steps[Math.min(plans.length, steps.length) - 1];
    if (step === undefined) throw new Error("scriptedNext: no steps given");
    return step(plan);
  };
  return Object.assign(send, { plans });
}
