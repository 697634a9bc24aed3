/**
 * What an outbox can deliver: a table of named operations, each a call that takes its input
 * and the call options and resolves to a carewire result (never rejects). A generated
 * client already is such a table; a FHIR client's writes are named `<Type>.<method>`.
 */
import type { ResultMeta } from "../runtime/core/meta.js";
import type { CallOptions } from "../runtime/core/types.js";

/** The parts of a call's result a delivery reads: every generated operation's result has them. */
export interface DeliveryResult {
  readonly error?: { readonly kind: string; readonly message: string } | undefined;
  readonly response?: Response | undefined;
  readonly meta?: ResultMeta;
}

/** One deliverable operation. `input: never` admits any operation's own input type. */
export type OutboxOperation = (input: never, options?: CallOptions) => Promise<DeliveryResult>;

export type OperationTable = { readonly [name: string]: OutboxOperation };

/** The input an operation of the table takes. */
export type InputOf<F> = F extends (input: infer I, ...rest: never[]) => unknown ? I : never;

/** A generated client's operations (its function members), by name. */
export type OperationsOf<C> = { readonly [K in keyof C as K extends string ? (C[K] extends OutboxOperation ? K : never) : never]: C[K] };

/** A generated OpenAPI client as an operation table: every operation function it has. */
export function operationsOf<C extends object>(client: C): OperationsOf<C> {
  const table: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(client)) if (typeof value === "function") table[name] = value;
  return table as OperationsOf<C>;
}

type FhirWrite = "create" | "ensure" | "update";
type FhirWriteName<C> = { [T in keyof C & string]: C[T] extends object ? `${T}.${keyof C[T] & FhirWrite}` : never }[keyof C & string];

/** A FHIR client's writes by `<Type>.<method>` (create, ensure, update), plus `transaction` and `batch` when declared. */
export type FhirOperationsOf<C> = {
  readonly [K in FhirWriteName<C>]: K extends `${infer T}.${infer M}` ? (T extends keyof C ? (M extends keyof C[T] ? C[T][M] : never) : never) : never;
} & { readonly [K in keyof C & ("transaction" | "batch")]: C[K] };

/** A generated FHIR client's writes as an operation table. */
export function fhirOperations<C extends object>(client: C): FhirOperationsOf<C> {
  const table: Record<string, unknown> = {};
  for (const [type, value] of Object.entries(client)) {
    if ((type === "transaction" || type === "batch") && typeof value === "function") table[type] = value;
    if (typeof value !== "object" || value === null) continue;
    for (const method of ["create", "ensure", "update"] as const) {
      const fn: unknown = (value as Record<string, unknown>)[method];
      if (typeof fn === "function") table[`${type}.${method}`] = fn;
    }
  }
  return table as FhirOperationsOf<C>;
}
