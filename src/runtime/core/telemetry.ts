/**
 * Structured telemetry for every attempt and policy decision.
 * Events carry names, numbers and classes only: no URLs with identifiers, no headers,
 * no bodies. A pino-compatible logger gets the same events, passed through `redact`.
 */
import type { OutcomeClass } from "./classify.js";
import type { ErrorKind } from "./errors.js";

export type CarewireEvent =
  | { readonly type: "attempt"; readonly attempt: number; readonly status?: number; readonly errorKind?: ErrorKind; readonly durationMs: number; readonly delayMs: number }
  | { readonly type: "retry"; readonly attempt: number; readonly outcome: OutcomeClass; readonly reason: string; readonly delayMs: number }
  | { readonly type: "give-up"; readonly attempt: number; readonly outcome: OutcomeClass; readonly reason: string }
  | { readonly type: "rate-limit-wait"; readonly waitMs: number; readonly reason: string }
  | { readonly type: "throttled"; readonly retryAt: number }
  | { readonly type: "breaker"; readonly group: string; readonly from: string; readonly to: string }
  /** `ageMs`: how old the entry served was (a hit or a stale answer in place of a failure). */
  | { readonly type: "cache"; readonly result: "hit" | "revalidated" | "stale" | "miss" | "stored"; readonly ageMs?: number }
  | { readonly type: "token"; readonly action: "fetched" | "refreshed" | "failed" }
  /** A shared quota store went out (this instance paces alone on its share) or came back. */
  | { readonly type: "quota-store"; readonly state: "local" | "shared" }
  /**
   * Pacing admitted an attempt under a known quota: `used` units of `limit` were answered in
   * the window before it (this instance's view of its store). `scope` names the quota's
   * owner (provider and client_id, never a secret). With tenants, the tenant's own `tenantUsed`
   * units and its `tenantWeight` in the fair share.
   */
  | { readonly type: "quota"; readonly scope: string; readonly limit: number; readonly windowMs: number; readonly used: number; readonly tenantUsed?: number; readonly tenantWeight?: number };

export type TelemetryEvent = CarewireEvent & {
  readonly provider: string;
  readonly operationId: string;
  readonly requestId: string;
  readonly tenant?: string;
  /** Epoch ms. */
  readonly time: number;
};

/**
 * An outbox worker's view of its store after a delivery: the queue's depth and its dead
 * letters. Not tied to one call, so it carries no operation or request id.
 */
export interface OutboxEvent {
  readonly type: "outbox";
  /** The worker's id. */
  readonly worker: string;
  /** What happened to the delivery that just ended. */
  readonly disposition: "committed" | "deferred" | "dead" | "lost";
  readonly pending: number;
  readonly due: number;
  readonly leased: number;
  readonly dead: number;
  /** Epoch ms. */
  readonly time: number;
}

/** Every event a recording sink may be given: a call's, or an outbox worker's. */
export type RecordedEvent = TelemetryEvent | OutboxEvent;

/** The part of pino's (or bunyan's, or console-like) API carewire uses. */
export interface LoggerLike {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export interface TelemetryOptions {
  readonly onEvent?: ((event: TelemetryEvent) => void) | undefined;
  readonly logger?: LoggerLike | undefined;
}

const SECRET_KEY = /authorization|token|secret|password|cookie|api[-_]?key|credential/i;

/** A copy with secret-looking fields replaced, recursively (bounded depth). */
export function redact<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== "object") return value;
  // Too deep (or cyclic) to inspect: drop it rather than risk a secret.
  if (depth > 8) return "[truncated]" as T;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? "[redacted]" : redact(v, depth + 1);
  return out as T;
}

/** Where events go; undefined when nobody listens, so callers build no event objects at all. */
export function telemetrySink(options: TelemetryOptions): ((event: TelemetryEvent) => void) | undefined {
  const { onEvent, logger } = options;
  if (!onEvent && !logger) return undefined;
  return (event) => {
    try {
      onEvent?.(event);
      if (logger) {
        const level = event.type === "give-up" || event.type === "breaker" || event.type === "throttled" ? "warn" : event.type === "attempt" ? "debug" : "info";
        logger[level](redact({ carewire: event }), `carewire ${event.type}`);
      }
    } catch {
      // Telemetry must never break a call.
    }
  };
}
