/**
 * Tolerant reader: provider data is never rejected for being different from the spec.
 * Unknown fields are kept and reported by JSON path; schema violations are reported as
 * drift issues; the value comes back as it was parsed, never copied or trimmed. Fields the
 * spec marks `x-carewire-critical` are the exception: their violations are reported
 * apart (`critical`) so the pipeline can turn them into a typed error.
 */
import { compile } from "./validate.js";
import type { Schema } from "./validate-schema.js";
import { Walk, type DriftIssue } from "./validate-walk.js";
import { fromZod, isZod, type ZodLike } from "./validate-zod.js";

export type { DriftIssue } from "./validate-walk.js";
export type { ZodLike } from "./validate-zod.js";
export { propertyAccess } from "./validate-walk.js";
export type { AllOfSchema, AnyOfSchema, ArraySchema, EnumSchema, LeafSchema, ObjectSchema, PackedSchema, Schema, SchemaLeaf } from "./validate-schema.js";

/** What a body may be read with: a generated schema, or a zod schema written by hand. */
export type BodySchema = Schema | ZodLike;

export interface DriftReport {
  /** Fields the spec does not declare, by JSON path (array indexes folded to `[*]`). */
  readonly unknownFields: readonly string[];
  /** Values that break the declared schema but were tolerated. */
  readonly issues: readonly DriftIssue[];
}

export const NO_DRIFT: DriftReport = Object.freeze({ unknownFields: [], issues: [] });

export interface TolerantReadResult {
  /** The value as given: the same object, unknown keys and all. */
  readonly value: unknown;
  readonly valid: boolean;
  readonly drift: DriftReport;
  /** The issues that hit a critical field (empty when none did). */
  readonly critical: readonly DriftIssue[];
}

const NO_ISSUES: readonly DriftIssue[] = Object.freeze([]);

export function readTolerantly(schema: BodySchema | undefined, value: unknown): TolerantReadResult {
  if (schema === undefined) return { value, valid: true, drift: NO_DRIFT, critical: NO_ISSUES };
  const checker = compile(isZod(schema) ? fromZod(schema) : schema);
  try {
    // Most bodies are clean: a fast yes, else the walk says what is off.
    if (checker.clean?.(value) === true) return { value, valid: true, drift: NO_DRIFT, critical: NO_ISSUES };
  } catch {
    // The walk below answers (it has its own bound on depth).
  }
  const walk = new Walk();
  try {
    checker.check(value, walk);
  } catch (error) {
    // The walk's own bounds stop real data long before this; a schema built to defeat them
    // still gets an answer rather than an exception out of the pipeline.
    if (!(error instanceof RangeError)) throw error;
    walk.issue("too_deep", "too deeply nested to check");
  }
  const clean = walk.issueCount === 0 && walk.unknownList.length === 0;
  return {
    value,
    valid: walk.issueCount === 0,
    drift: clean ? NO_DRIFT : { unknownFields: walk.unknownList, issues: walk.issues },
    critical: walk.critical.length === 0 ? NO_ISSUES : walk.critical,
  };
}
