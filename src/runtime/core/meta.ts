/**
 * `meta`: the provenance record on every result and error.
 * Later policies add their own fields (idempotency key, cache source, rate-limit state).
 */
import type { OutcomeClass } from "./classify.js";
import type { ErrorKind } from "./errors.js";
import type { RateLimitSnapshot } from "../wire/server-hints.js";
import type { DriftReport } from "../tolerant/tolerant.js";

export interface AttemptRecord {
  /** 1-based. */
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status?: number;
  readonly errorKind?: ErrorKind;
  /** Wait before this attempt (0 for the first). */
  readonly delayMs: number;
  /** How the attempt's result was classified (when a retry policy looked at it). */
  readonly outcome?: OutcomeClass;
  /** Why it was or was not retried, e.g. `HTTP 429; waited for Retry-After`. Never holds secrets. */
  readonly reason?: string;
}

export type DataSource = "network" | "cache" | "stale";

/** The provider's quota as last seen, from its headers or carewire's own pacing. */
export interface RateLimitState extends RateLimitSnapshot {
  /** Epoch ms until which this client holds all calls (after a 429). */
  readonly pausedUntil?: number;
}

export interface ResultMeta {
  readonly provider: string;
  readonly operationId: string;
  readonly method: string;
  /** The path template, never the filled-in URL (which can hold identifiers). */
  readonly path: string;
  /** carewire's id for this call, also sent to the server as a correlation header. */
  readonly requestId: string;
  /** The server's own request id, when it returned one. */
  readonly serverRequestId?: string;
  readonly attempts: readonly AttemptRecord[];
  readonly startedAt: string;
  readonly durationMs: number;
  /** Where `data` came from: the network, a fresh cache entry, or a stale one served because the provider failed. */
  readonly source: DataSource;
  /** When the response that produced `data` arrived. */
  readonly fetchedAt?: string;
  /** Age of the data in ms (0 from the network). */
  readonly ageMs?: number;
  /** The Idempotency-Key every attempt of this call carried. */
  readonly idempotencyKey?: string;
  readonly rateLimit?: RateLimitState;
  /** The circuit breaker of this operation's endpoint group when the call ended. */
  readonly breaker?: { readonly group: string; readonly state: "closed" | "open" | "half-open" };
  readonly drift: DriftReport;
}

/** Response headers servers commonly use for their own request id, checked in order. */
const SERVER_REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "x-correlation-id", "x-github-request-id"];

export function serverRequestIdOf(response: Response | undefined, sentId: string): string | undefined {
  if (!response) return undefined;
  for (const name of SERVER_REQUEST_ID_HEADERS) {
    const value = response.headers.get(name);
    // An echo of our own correlation id is not the server's id.
    if (value && value !== sentId) return value.slice(0, 200);
  }
  return undefined;
}
