/**
 * Reads and validates the `x-carewire-*` policy hints (vocabulary: docs/x-carewire.md).
 * A malformed hint is a spec error, not a silent default: a wrong quota or a missing
 * idempotency header would quietly change runtime behaviour.
 */
import type { OperationHints } from "../runtime/core/operation.js";
import { isObject, type JsonObject } from "./json.js";
import { SpecError, pointerOf } from "./spec-error.js";

export const HINT_KEYS = {
  rateLimit: "x-carewire-rate-limit",
  idempotency: "x-carewire-idempotency",
  cache: "x-carewire-cache",
  criticality: "x-carewire-criticality",
  critical: "x-carewire-critical",
  cost: "x-carewire-cost",
  /** Read by the simulator only: which property holds a resource's id. */
  id: "x-carewire-id",
  /** How a list operation pages (read in pagination-hint.ts). */
  pagination: "x-carewire-pagination",
} as const;

/** A quota name as servers write it in a RateLimit policy (a token). */
const QUOTA_NAME = /^[A-Za-z*][A-Za-z0-9_.:*\/-]*$/;

const SCOPES = ["client_id", "tenant", "user", "ip", "global"] as const;
const ALGORITHMS = ["sliding-window", "fixed-window", "token-bucket"] as const;
const CACHE_POLICIES = ["no-store", "revalidate", "max-age"] as const;
const CRITICALITIES = ["critical", "interactive", "batch"] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface HintContext {
  file: string;
  at: Array<string | number>;
}

/** The document-level quota that operation hints inherit from. */
export function readRootRateLimit(doc: JsonObject, file: string): OperationHints["rateLimit"] {
  const raw = doc[HINT_KEYS.rateLimit];
  if (raw === undefined) return undefined;
  return readRateLimit(raw, { file, at: [HINT_KEYS.rateLimit] });
}

export function readOperationHints(
  operation: JsonObject,
  rootRateLimit: OperationHints["rateLimit"],
  ctx: HintContext,
): OperationHints {
  const hints: Mutable<OperationHints> = {};
  const rawRate = operation[HINT_KEYS.rateLimit];
  const ownRate = rawRate === undefined ? undefined : readRateLimit(rawRate, sub(ctx, HINT_KEYS.rateLimit));
  if (rootRateLimit || ownRate) {
    const quotas = rootRateLimit?.quotas || ownRate?.quotas ? { ...rootRateLimit?.quotas, ...ownRate?.quotas } : undefined;
    hints.rateLimit = { ...rootRateLimit, ...ownRate, ...(quotas ? { quotas } : {}) };
  }

  const rawCost = operation[HINT_KEYS.cost];
  if (rawCost !== undefined) hints.cost = readCost(rawCost, sub(ctx, HINT_KEYS.cost));

  const rawIdem = operation[HINT_KEYS.idempotency];
  if (rawIdem !== undefined) hints.idempotency = readIdempotency(rawIdem, sub(ctx, HINT_KEYS.idempotency));

  const rawCache = operation[HINT_KEYS.cache];
  if (rawCache !== undefined) hints.cache = readCache(rawCache, sub(ctx, HINT_KEYS.cache));

  const rawCrit = operation[HINT_KEYS.criticality];
  if (rawCrit !== undefined) {
    hints.criticality = oneOf(rawCrit, CRITICALITIES, sub(ctx, HINT_KEYS.criticality));
  }
  return hints;
}

function readRateLimit(raw: unknown, ctx: HintContext): NonNullable<OperationHints["rateLimit"]> {
  const obj = object(raw, ctx);
  const out: Mutable<NonNullable<OperationHints["rateLimit"]>> = {};
  if (obj.limit !== undefined) out.limit = positiveInt(obj.limit, sub(ctx, "limit"));
  if (obj.windowSeconds !== undefined) out.windowSeconds = positiveNumber(obj.windowSeconds, sub(ctx, "windowSeconds"));
  if (obj.scope !== undefined) out.scope = oneOf(obj.scope, SCOPES, sub(ctx, "scope"));
  if (obj.algorithm !== undefined) out.algorithm = oneOf(obj.algorithm, ALGORITHMS, sub(ctx, "algorithm"));
  if (obj.bucket !== undefined) out.bucket = nonEmptyString(obj.bucket, sub(ctx, "bucket"));
  if (obj.quotas !== undefined) out.quotas = readQuotas(obj.quotas, sub(ctx, "quotas"));
  rejectUnknown(obj, ["limit", "windowSeconds", "scope", "algorithm", "bucket", "quotas"], ctx);
  return out;
}

/** `{ fhirInteractions: { limit: 50000, windowSeconds: 60 } }`: quotas beside requests (which `limit` itself states). */
function readQuotas(raw: unknown, ctx: HintContext): NonNullable<NonNullable<OperationHints["rateLimit"]>["quotas"]> {
  const obj = object(raw, ctx);
  const out: Record<string, { limit: number; windowSeconds: number }> = {};
  for (const [name, value] of Object.entries(obj)) {
    const at = sub(ctx, name);
    quotaName(name, at);
    if (name === "requests") fail(at, "the requests quota is stated by limit and windowSeconds themselves");
    const quota = object(value, at);
    rejectUnknown(quota, ["limit", "windowSeconds"], at);
    out[name] = { limit: positiveInt(quota.limit, sub(at, "limit")), windowSeconds: positiveNumber(quota.windowSeconds, sub(at, "windowSeconds")) };
  }
  return out;
}

/**
 * `x-carewire-cost`: a number is units of the requests quota; an object prices the call
 * in each quota it names (`{ fhirInteractions: 20 }`). Normalised to the object form.
 */
function readCost(raw: unknown, ctx: HintContext): NonNullable<OperationHints["cost"]> {
  if (typeof raw === "number") return { requests: positiveNumber(raw, ctx) };
  if (!isObject(raw)) fail(ctx, `must be a number > 0 or an object of quota names to numbers > 0, got ${JSON.stringify(raw)}`);
  const entries = Object.entries(raw);
  if (entries.length === 0) fail(ctx, "names no quota");
  const out: Record<string, number> = {};
  for (const [name, value] of entries) {
    quotaName(name, sub(ctx, name));
    out[name] = positiveNumber(value, sub(ctx, name));
  }
  return out;
}

function quotaName(name: string, ctx: HintContext): void {
  if (!QUOTA_NAME.test(name)) fail(ctx, `"${name}" is not a quota name (a letter, then letters, digits or _ . : * / -)`);
}

function readIdempotency(raw: unknown, ctx: HintContext): NonNullable<OperationHints["idempotency"]> {
  // `true` is shorthand for the de-facto standard header; `false` says the provider ignores keys.
  if (raw === true) return { header: "Idempotency-Key", required: false };
  if (raw === false) return { header: "Idempotency-Key", required: false, automatic: false };
  const obj = object(raw, ctx);
  rejectUnknown(obj, ["header", "required"], ctx);
  const header = obj.header === undefined ? "Idempotency-Key" : nonEmptyString(obj.header, sub(ctx, "header"));
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) fail(sub(ctx, "header"), `"${header}" is not a valid header name`);
  const required = obj.required === undefined ? false : bool(obj.required, sub(ctx, "required"));
  return { header, required };
}

function readCache(raw: unknown, ctx: HintContext): NonNullable<OperationHints["cache"]> {
  const obj = object(raw, ctx);
  rejectUnknown(obj, ["policy", "maxAgeSeconds", "staleIfErrorSeconds"], ctx);
  const policy = oneOf(obj.policy, CACHE_POLICIES, sub(ctx, "policy"));
  const out: Mutable<NonNullable<OperationHints["cache"]>> = { policy };
  if (obj.maxAgeSeconds !== undefined) out.maxAgeSeconds = nonNegative(obj.maxAgeSeconds, sub(ctx, "maxAgeSeconds"));
  if (obj.staleIfErrorSeconds !== undefined) {
    out.staleIfErrorSeconds = nonNegative(obj.staleIfErrorSeconds, sub(ctx, "staleIfErrorSeconds"));
  }
  if (policy === "max-age" && out.maxAgeSeconds === undefined) {
    fail(ctx, "policy max-age needs maxAgeSeconds");
  }
  if (policy === "no-store" && (out.maxAgeSeconds !== undefined || out.staleIfErrorSeconds !== undefined)) {
    fail(ctx, "policy no-store cannot have maxAgeSeconds or staleIfErrorSeconds");
  }
  return out;
}

export function sub(ctx: HintContext, key: string | number): HintContext {
  return { file: ctx.file, at: [...ctx.at, key] };
}

export function fail(ctx: HintContext, reason: string): never {
  throw new SpecError("spec-invalid", ctx.file, reason, {
    pointer: pointerOf(ctx.at),
  });
}

export function object(raw: unknown, ctx: HintContext): JsonObject {
  if (!isObject(raw)) fail(ctx, "must be an object");
  return raw;
}

export function rejectUnknown(obj: JsonObject, allowed: readonly string[], ctx: HintContext): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(sub(ctx, key), `unknown field "${key}" (allowed: ${allowed.join(", ")})`);
  }
}

export function oneOf<T extends string>(raw: unknown, allowed: readonly T[], ctx: HintContext): T {
  if (typeof raw !== "string" || !(allowed as readonly string[]).includes(raw)) {
    fail(ctx, `must be one of ${allowed.join(" | ")}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

export function positiveInt(raw: unknown, ctx: HintContext): number {
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw <= 0) fail(ctx, `must be a positive integer, got ${JSON.stringify(raw)}`);
  return raw;
}

function positiveNumber(raw: unknown, ctx: HintContext): number {
  if (typeof raw !== "number" || !Number.isFinite(raw) || raw <= 0) fail(ctx, `must be a positive number, got ${JSON.stringify(raw)}`);
  return raw;
}

function nonNegative(raw: unknown, ctx: HintContext): number {
  if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0) fail(ctx, `must be a number ≥ 0, got ${JSON.stringify(raw)}`);
  return raw;
}

export function nonEmptyString(raw: unknown, ctx: HintContext): string {
  if (typeof raw !== "string" || raw.trim() === "") fail(ctx, `must be a non-empty string, got ${JSON.stringify(raw)}`);
  return raw;
}

export function bool(raw: unknown, ctx: HintContext): boolean {
  if (typeof raw !== "boolean") fail(ctx, `must be true or false, got ${JSON.stringify(raw)}`);
  return raw;
}
