/**
 * Outcome classification: what one attempt's result means for the
 * call. Pure: the same exchange or error always gets the same class.
 *
 *   ok              2xx/3xx
 *   throttled       429, and 503 (the server is shedding load): retry after the server's wait
 *   retryable       502, 504, 408, network faults before anything was sent, and on safe or
 *                   idempotent methods any network fault or timeout
 *   auth            401: refresh credentials once, never loop
 *   conflict        409, 412: the request collided with state; retrying repeats the collision
 *   permanent       other 4xx; 500, 501, 505 and other 5xx unless a provider opts in
 *   unknown-outcome a non-safe request was sent and the connection died: it may have been
 *                   applied. Retried only with an idempotency key.
 */
import { CarewireError, MalformedResponseError, NetworkError, TimeoutError } from "./errors.js";
import type { SafetyClass } from "./operation.js";
import type { Exchange } from "../wire/transport.js";

export type OutcomeClass = "ok" | "retryable" | "throttled" | "auth" | "conflict" | "permanent" | "unknown-outcome";

export interface Classification {
  readonly outcome: OutcomeClass;
  /** Short, log-safe reason, e.g. `HTTP 503`, `network ECONNRESET after send`. */
  readonly reason: string;
}

export interface ClassifyOptions {
  /** 5xx statuses a provider says are safe to retry (default none beyond 502/503/504). */
  readonly retryStatuses?: readonly number[] | undefined;
  /**
   * A hook for protocol-specific signals (FHIR OperationOutcome issue codes such as
   * `throttled` or `transient`): return a class to override the default, or undefined.
   */
  readonly refine?: (input: ClassifyInput, byDefault: Classification) => Classification | undefined;
}

export type ClassifyInput =
  | { readonly exchange: Exchange; readonly safety: SafetyClass }
  | { readonly error: unknown; readonly safety: SafetyClass };

export function classify(input: ClassifyInput, options: ClassifyOptions = {}): Classification {
  const byDefault = "exchange" in input ? classifyStatus(input.exchange.response.status, options) : classifyError(input.error, input.safety);
  return options.refine?.(input, byDefault) ?? byDefault;
}

/** A 5xx other than 503 (which says the server took nothing on) may come after the write was applied: a gateway's 504 behind a server that committed. */
export function mayFollowCommit(status: number): boolean {
  return status >= 500 && status !== 503;
}

export function classifyStatus(status: number, options: ClassifyOptions = {}): Classification {
  const reason = `HTTP ${status}`;
  if (status < 400) return { outcome: "ok", reason };
  if (status === 429 || status === 503) return { outcome: "throttled", reason };
  if (status === 502 || status === 504 || status === 408) return { outcome: "retryable", reason };
  if (status >= 500 && options.retryStatuses?.includes(status)) return { outcome: "retryable", reason };
  if (status === 401) return { outcome: "auth", reason };
  if (status === 409 || status === 412) return { outcome: "conflict", reason };
  return { outcome: "permanent", reason };
}

/** An error that ended an attempt after its request went out, before any answer (what `classifyError` calls "after send"). */
export function sentWithoutAnswer(error: unknown): error is NetworkError | TimeoutError {
  return (error instanceof NetworkError && error.phase !== "connect") || error instanceof TimeoutError;
}

export function classifyError(error: unknown, safety: SafetyClass): Classification {
  if (error instanceof NetworkError) {
    const code = error.code ? ` ${error.code}` : "";
    if (error.phase === "connect") return { outcome: "retryable", reason: `network${code} before send` };
    if (safety === "unsafe") return { outcome: "unknown-outcome", reason: `network${code} after send` };
    return { outcome: "retryable", reason: `network${code}` };
  }
  if (error instanceof TimeoutError) {
    if (safety === "unsafe") return { outcome: "unknown-outcome", reason: `timeout after ${error.timeoutMs} ms` };
    return { outcome: "retryable", reason: `timeout after ${error.timeoutMs} ms` };
  }
  if (error instanceof MalformedResponseError) {
    // A 2xx arrived, so an unsafe write was applied; only an idempotent replay can recover its body.
    if (safety === "unsafe") return { outcome: "unknown-outcome", reason: `malformed ${error.status} body` };
    return { outcome: "retryable", reason: `malformed ${error.status} body` };
  }
  if (error instanceof CarewireError) return { outcome: "permanent", reason: error.kind };
  return { outcome: "permanent", reason: "unexpected" };
}
