/**
 * `meta`: the provenance record on every result and error, folded from the notes the
 * policies returned (idempotency key, cache source, rate-limit and breaker state).
 */
import type { Notes } from "./attempt.js";
import type { Call } from "./call.js";
import type { OutcomeClass } from "./classify.js";
import { isoTime } from "./clock.js";
import type { ErrorKind } from "./errors.js";
import type { RateLimitPolicy, RateLimitSnapshot } from "../wire/server-hints.js";
import type { DriftReport } from "../tolerant/tolerant.js";
import { headerValue } from "../wire/header-value.js";

export interface AttemptRecord {
  /** 1-based. */
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status?: number;
  readonly errorKind?: ErrorKind;
  /** Wait before this attempt (0 for the first). */
  readonly delayMs: number;
  /** How the attempt's result was classified. */
  readonly outcome?: OutcomeClass;
  /** Why it was or was not retried, e.g. `HTTP 429; waited for Retry-After`. Never holds secrets. */
  readonly reason?: string;
}

export type DataSource = "network" | "cache" | "stale";

/** The provider's quota as last seen, from its headers or carewire's own pacing. */
export interface RateLimitState extends RateLimitSnapshot {
  /** Epoch ms until which this client holds all calls (after a 429). */
  readonly pausedUntil?: number;
  /** Every quota the server reported, by policy name, when it reported several (requests and points, say). */
  readonly quotas?: readonly RateLimitPolicy[];
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
    const value = headerValue(response.headers, name);
    // An echo of our own correlation id is not the server's id.
    if (value && value !== sentId) return value.slice(0, 200);
  }
  return undefined;
}

/** `meta` folded from a call's notes and the response it ended with. */
export function metaOf(call: Call, notes: Notes, response: Response | undefined, drift: DriftReport): ResultMeta {
  const serverRequestId = serverRequestIdOf(response, call.requestId);
  // Assigned field by field (no spreads of temporary objects), in the documented order.
  const meta = {
    provider: call.provider,
    operationId: call.operation.operationId,
    method: call.operation.method.toUpperCase(),
    path: call.operation.path,
    requestId: call.requestId,
  } as { -readonly [K in keyof ResultMeta]: ResultMeta[K] };
  if (serverRequestId !== undefined) meta.serverRequestId = serverRequestId;
  meta.attempts = notes.attempts;
  meta.startedAt = isoTime(call.startedAtMs);
  meta.durationMs = performance.now() - call.startedAt;
  meta.source = notes.source ?? "network";
  if (response !== undefined) meta.fetchedAt = isoTime(call.clock.now() - (notes.ageMs ?? 0));
  if (notes.ageMs !== undefined) meta.ageMs = notes.ageMs;
  else if (response !== undefined) meta.ageMs = 0;
  if (notes.idempotencyKey !== undefined) meta.idempotencyKey = notes.idempotencyKey;
  if (notes.rateLimit !== undefined) meta.rateLimit = notes.rateLimit;
  if (notes.breaker !== undefined) meta.breaker = notes.breaker;
  meta.drift = drift;
  return meta;
}
