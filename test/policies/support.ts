/**
 * What the policy unit tests share: the operations they call, the telemetry they read,
 * and answers a test releases when it chooses (to hold an attempt "in flight").
 */
import type { AttemptPlan, AttemptResult, OperationDescriptor, TelemetryEvent } from "carewire";
import { KEYS_HONOURED, testOperation } from "../helpers/operation.js";

const NO_PARAMETERS = { path: [], query: [], header: [], cookie: [] };

/** `GET /things/{thingId}`: safe, cacheable, no credentials. */
export const read = (overrides: Partial<OperationDescriptor> = {}): OperationDescriptor => testOperation(overrides);

/** `POST /things`: a write that must never be applied twice, on a provider that honours keys. */
export const create = (overrides: Partial<OperationDescriptor> = {}): OperationDescriptor =>
  testOperation({ operationId: "createThing", name: "createThing", method: "post", path: "/things", safety: "unsafe", parameters: NO_PARAMETERS, requestBody: { required: true, contentTypes: ["application/json"] }, hints: KEYS_HONOURED, ...overrides });

/** `PUT /things/{thingId}`: a write that may be repeated with the same effect, on a provider that honours keys. */
export const update = (overrides: Partial<OperationDescriptor> = {}): OperationDescriptor =>
  testOperation({ operationId: "updateThing", name: "updateThing", method: "put", safety: "idempotent", requestBody: { required: true, contentTypes: ["application/json"] }, hints: KEYS_HONOURED, ...overrides });

/** `GET /things`: the collection a thing belongs to. */
export const list = (): OperationDescriptor => testOperation({ operationId: "listThings", name: "listThings", path: "/things", parameters: { ...NO_PARAMETERS, query: [{ name: "q", required: false }] } });

/** The input of a call on one thing. */
export const thing = (id: string, extra: { query?: Record<string, string>; body?: unknown } = {}) => ({
  params: { path: { thingId: id }, ...(extra.query ? { query: extra.query } : {}) },
  ...(extra.body !== undefined ? { body: extra.body } : {}),
});

/** Collects a call's telemetry (pass `onEvent` to planFor). */
export function telemetry() {
  const events: TelemetryEvent[] = [];
  return {
    events,
    onEvent: (event: TelemetryEvent) => void events.push(event),
    /** The events of one type, with their type-specific fields. */
    of<T extends TelemetryEvent["type"]>(type: T): Array<Extract<TelemetryEvent, { type: T }>> {
      return events.filter((e): e is Extract<TelemetryEvent, { type: T }> => e.type === type);
    },
  };
}

/** A promise the test settles by hand. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** How `next` answers one attempt (a step of scriptedNext). */
export type Step = (plan: AttemptPlan) => AttemptResult | Promise<AttemptResult>;

/**
 * A `next` step whose answer the test releases later: `held.step` goes in scriptedNext,
 * `held.release(answer)` settles the attempt it was given.
 */
export function heldStep() {
  const gate = deferred<Step>();
  return {
    step: async (plan: AttemptPlan) => (await gate.promise)(plan),
    release: (answer: Step) => gate.resolve(answer),
  };
}

/** Lets queued promise callbacks and timers of the current turn run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The Authorization header of the plans `next` saw. */
export const authorizationOf = (plans: readonly AttemptPlan[]) => plans.map((p) => p.headers.Authorization);
