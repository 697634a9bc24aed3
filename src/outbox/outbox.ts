/**
 * The outbox: a write is recorded durably with its idempotency key before `enqueue`
 * returns, and workers deliver it through the same pipeline as a direct call. A crash, a
 * deploy or a provider's long pause then costs time, never the write; a replay after any of
 * them sends the same key, so the provider never applies it twice. Writes that cannot
 * succeed as they stand go to the dead letters with the provider's answer, for a person.
 */
import { randomId } from "../runtime/portable/random-id.js";
import { systemClock, type Clock } from "../runtime/core/clock.js";
import { definedOf, type Settings } from "../runtime/core/settings.js";
import { DEFAULT_DELIVERY_RULES, type DeliveryRules } from "./disposition.js";
import { OutboxInputError } from "./errors.js";
import { intentKey } from "./intent-key.js";
import type { InputOf, OperationTable } from "./operations.js";
import type { IntentRecord, IntentSummary, Json, ListFilter, NewIntent, OutboxCounts, OutboxStore } from "./outbox-store.js";
import { createWorker, type OutboxWorker, type WorkerOptions } from "./worker.js";

export interface OutboxOptions<Ops extends OperationTable> {
  readonly store: OutboxStore;
  /** What the workers can deliver: `operationsOf(client)`, `fhirOperations(fhirClient)`, or your own table. */
  readonly operations: Ops;
  /** The provider's name, as the client's (`client.provider`): keys derived from a business key then match a direct call's. */
  readonly provider: string;
  /** The app's version, kept with every intent (a dead letter tells which code wrote it). */
  readonly codeVersion?: string;
  /** When an intent that keeps failing is dead, and how long to wait between deliveries. */
  readonly rules?: Settings<DeliveryRules> | undefined;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export interface EnqueueOptions {
  /** Stable identifiers of the logical write (hashed, never stored in clear): the same write enqueued twice is one intent. */
  readonly businessKey?: unknown;
  /** The key itself, when the caller has one. Default: derived from `businessKey`, else random. */
  readonly idempotencyKey?: string;
  /** The customer this write is for (listed and filtered on; never sent). */
  readonly tenant?: string;
  /** Not delivered before this time. Default now. */
  readonly notBefore?: Date | number;
}

export interface Enqueued {
  readonly id: string;
  readonly idempotencyKey: string;
  /** False when an intent with this key was already recorded: `id` is that one's. */
  readonly added: boolean;
}

export interface Outbox<Ops extends OperationTable> {
  /** Records the write durably; resolves once it is on disk (or in the database). Rejects with a typed OutboxError, recording nothing, for bad input or a failed store. */
  enqueue<K extends keyof Ops & string>(operation: K, input: InputOf<Ops[K]>, options?: EnqueueOptions): Promise<Enqueued>;
  /** Several writes in one durable step. */
  enqueueMany(items: ReadonlyArray<{ readonly [K in keyof Ops & string]: { readonly operation: K; readonly input: InputOf<Ops[K]>; readonly options?: EnqueueOptions } }[keyof Ops & string]>): Promise<readonly Enqueued[]>;
  /** A worker over this outbox (call `start()`; several may run in one process or many). */
  worker(options?: WorkerOptions): OutboxWorker;
  status(): Promise<OutboxCounts>;
  /** Intents without payloads or error bodies unless `withBodies` (they may hold PHI). */
  list(filter?: ListFilter): Promise<readonly IntentSummary[]>;
  get(ids: readonly string[]): Promise<readonly IntentRecord[]>;
  /** Dead letters back into delivery with their own idempotency key: a replay never writes twice. */
  replay(which: { readonly ids: readonly string[] } | { readonly deadSince: Date | number }): Promise<number>;
  purge(options: { readonly before: Date | number; readonly dead?: boolean }): Promise<number>;
  close(): Promise<void>;
}

const MAX_TENANT_LENGTH = 200;

export function createOutbox<Ops extends OperationTable>(options: OutboxOptions<Ops>): Outbox<Ops> {
  const { store, operations, provider } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const rules: DeliveryRules = { ...DEFAULT_DELIVERY_RULES, ...definedOf(options.rules) };
  if (typeof provider !== "string" || provider === "") throw new OutboxInputError("createOutbox needs the provider's name (client.provider)");

  function intentOf(operation: string, input: unknown, enqueueOptions: EnqueueOptions = {}): NewIntent {
    if (!Object.hasOwn(operations, operation) || typeof operations[operation] !== "function") throw new OutboxInputError(`"${operation}" is not an operation this outbox can deliver`);
    const tenant = enqueueOptions.tenant;
    if (tenant !== undefined && (typeof tenant !== "string" || tenant.length === 0 || tenant.length > MAX_TENANT_LENGTH)) throw new OutboxInputError(`${operation}: tenant must be a non-empty string of at most ${MAX_TENANT_LENGTH} characters`);
    const notBefore = timeOf(enqueueOptions.notBefore ?? clock.now(), `${operation}: notBefore`);
    return {
      id: randomId(),
      operation,
      input: asJson(operation, input),
      idempotencyKey: intentKey(provider, operation, enqueueOptions),
      ...(tenant !== undefined ? { tenant } : {}),
      notBefore,
      ...(options.codeVersion !== undefined ? { codeVersion: options.codeVersion } : {}),
    };
  }

  const enqueued = (intent: NewIntent, answer: { id: string; added: boolean }): Enqueued => ({ id: answer.id, idempotencyKey: intent.idempotencyKey, added: answer.added });

  return {
    async enqueue(operation, input, enqueueOptions) {
      const intent = intentOf(operation, input, enqueueOptions);
      const [answer] = await store.add([intent], clock.now());
      return enqueued(intent, answer!);
    },
    async enqueueMany(items) {
      const intents = items.map((item) => intentOf(item.operation, item.input, item.options));
      const answers = await store.add(intents, clock.now());
      return intents.map((intent, i) => enqueued(intent, answers[i]!));
    },
    worker: (workerOptions) => createWorker({ store, operations, rules, clock, random }, workerOptions),
    status: () => store.counts(clock.now()),
    list: (filter = {}) => store.list(filter),
    get: (ids) => store.get(ids),
    replay: (which) => store.revive("ids" in which ? { ids: which.ids } : { deadSince: timeOf(which.deadSince, "deadSince") }, clock.now()),
    purge: ({ before, dead }) => store.purge({ before: timeOf(before, "before"), ...(dead !== undefined ? { dead } : {}) }),
    close: () => store.close(),
  };
}

function timeOf(value: Date | number, what: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) throw new OutboxInputError(`${what} must be a Date or epoch milliseconds`);
  return Math.round(ms);
}

/** The input as it will be stored and sent: JSON. What JSON cannot hold is refused, not silently changed. */
function asJson(operation: string, input: unknown): Json {
  let text: string | undefined;
  try {
    text = JSON.stringify(input ?? {});
  } catch (error) {
    throw new OutboxInputError(`${operation}: the input cannot be stored as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (text === undefined) throw new OutboxInputError(`${operation}: the input cannot be stored as JSON`);
  return JSON.parse(text) as Json;
}
