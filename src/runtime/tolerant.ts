/**
 * Tolerant reader (REQUIREMENTS R7, spine part): provider data is never rejected for
 * being different from the spec. Unknown fields are kept and reported by JSON path;
 * schema violations are reported as drift issues and the raw value is returned.
 * Fields the spec marks `x-carewire-critical` are the exception: their violations are
 * reported apart (`critical`) so the pipeline can turn them into a typed error.
 */
import { z, type ZodType } from "zod";

/** Objects whose declared properties are the contract: extra keys are kept but reported. */
const tolerantShapes = new WeakSet<ZodType>();

/** What generated schemas use for plain objects: unknown keys survive parsing. */
export function tolerantObject<Shape extends z.core.$ZodLooseShape>(shape: Shape): z.ZodObject<Shape, z.core.$loose> {
  const schema = z.looseObject(shape);
  tolerantShapes.add(schema);
  return schema;
}

/** Fields whose violation the caller must not tolerate (the spec's `x-carewire-critical`). */
const criticalSchemas = new WeakSet<ZodType>();

/** Marks a property schema critical; generated code wraps `x-carewire-critical` fields in it. */
export function critical<T extends ZodType>(schema: T): T {
  criticalSchemas.add(schema);
  return schema;
}

export interface DriftIssue {
  /** JSON path of the offending value, e.g. `$.data[3].status`. */
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export interface DriftReport {
  /** Fields the spec does not declare, by JSON path (array indexes folded to `[*]`). */
  readonly unknownFields: readonly string[];
  /** Values that break the declared schema but were tolerated. */
  readonly issues: readonly DriftIssue[];
}

export const NO_DRIFT: DriftReport = Object.freeze({ unknownFields: [], issues: [] });

const MAX_REPORTED = 100;

export interface TolerantReadResult {
  readonly value: unknown;
  readonly valid: boolean;
  readonly drift: DriftReport;
  /** The issues that hit a critical field (empty when none did). */
  readonly critical: readonly DriftIssue[];
}

export function readTolerantly(schema: ZodType | undefined, value: unknown): TolerantReadResult {
  if (schema === undefined) return { value, valid: true, drift: NO_DRIFT, critical: [] };
  const parsed = schema.safeParse(value);
  const unknown = new Set<string>();
  collectUnknown(schema, parsed.success ? parsed.data : value, "$", unknown, 0);
  const issues = parsed.success
    ? []
    : parsed.error.issues.slice(0, MAX_REPORTED).map((issue) => ({
        path: jsonPath(issue.path),
        code: issue.code,
        message: issue.message,
      }));
  const drift = unknown.size === 0 && issues.length === 0 ? NO_DRIFT : { unknownFields: [...unknown], issues };
  const criticalIssues = parsed.success ? [] : parsed.error.issues.filter((issue) => hitsCritical(schema, issue.path, value)).map((issue) => ({ path: jsonPath(issue.path), code: issue.code, message: issue.message }));
  return { value: parsed.success ? parsed.data : value, valid: parsed.success, drift, critical: criticalIssues };
}

/** Whether any schema on the way down `path` (the field itself, or an object holding it) is critical. */
function hitsCritical(schema: ZodType, path: ReadonlyArray<PropertyKey>, value: unknown): boolean {
  let current: ZodType | undefined = schema;
  let here = value;
  for (let i = 0; ; i++) {
    if (current === undefined) return false;
    if (criticalSchemas.has(current) || criticalSchemas.has(unwrap(current))) return true;
    // The value here is missing or of the wrong kind: so is every field inside it.
    if (i === path.length) return holdsCriticalField(current);
    const segment = path[i]!;
    const s = unwrap(current);
    const next: unknown = here !== null && typeof here === "object" ? (here as Record<PropertyKey, unknown>)[segment] : undefined;
    if (s instanceof z.ZodArray) current = s.element as ZodType;
    else {
      const view = viewFor(s, here);
      const fields = view?.shape.get(String(segment));
      current = fields?.find((f) => criticalSchemas.has(f) || criticalSchemas.has(unwrap(f))) ?? fields?.[0] ?? view?.catchall[0];
    }
    here = next;
  }
}

const holdsCritical = new WeakMap<ZodType, boolean>();

/**
 * Whether the schema is critical or is an object with a critical field somewhere inside
 * (through nested objects, not array items: an absent list has no items to miss).
 * A body of `null`, an array or HTML where such an object is declared breaks them all.
 */
function holdsCriticalField(schema: ZodType): boolean {
  const cached = holdsCritical.get(schema);
  if (cached !== undefined) return cached;
  holdsCritical.set(schema, false); // a recursive schema meets itself here
  let found = criticalSchemas.has(schema) || criticalSchemas.has(unwrap(schema));
  const view = found ? undefined : objectView(schema);
  if (view) for (const fields of view.shape.values()) if (fields.some(holdsCriticalField)) found = true;
  holdsCritical.set(schema, found);
  return found;
}

interface ObjectView {
  shape: Map<string, ZodType[]>;
  /** Any part of the object accepts extra keys by contract (catchall / map). */
  open: boolean;
  catchall: ZodType[];
}

const WRAPPERS = new Set(["optional", "nullable", "default", "readonly", "nonoptional", "catch", "prefault"]);
const unwrapped = new WeakMap<ZodType, ZodType>();

/** The schema under optional/nullable/default/lazy/pipe wrappers (cached: read once per schema). */
function unwrap(schema: ZodType): ZodType {
  let found = unwrapped.get(schema);
  if (found === undefined) unwrapped.set(schema, (found = unwrapOnce(schema)));
  return found;
}

function unwrapOnce(schema: ZodType): ZodType {
  let current = schema;
  for (let i = 0; i < 16; i++) {
    const def = current._zod.def as { type: string; innerType?: ZodType; getter?: () => ZodType; in?: ZodType };
    if (def.type === "lazy" && def.getter) current = def.getter();
    else if (def.innerType && WRAPPERS.has(def.type)) {
      current = def.innerType;
    } else if (def.type === "pipe" && def.in) current = def.in;
    else break;
  }
  return current;
}

/**
 * The keys an object schema declares, merged across intersections (allOf). A union
 * side (allOf + oneOf) contributes the member that best explains `value`.
 */
function objectView(schema: ZodType, value?: unknown, out?: ObjectView, seen?: { union: boolean }): ObjectView | undefined {
  const s = unwrap(schema);
  const def = s._zod.def as { type: string; left?: ZodType; right?: ZodType };
  if (s instanceof z.ZodObject) {
    const view: ObjectView = out ?? { shape: new Map(), open: false, catchall: [] };
    for (const [key, value] of Object.entries(s.shape as Record<string, ZodType>)) {
      const list = view.shape.get(key);
      if (list) list.push(value);
      else view.shape.set(key, [value]);
    }
    if (!tolerantShapes.has(s)) {
      const catchall = (s._zod.def as { catchall?: ZodType }).catchall;
      if (catchall) {
        view.open = true;
        view.catchall.push(catchall);
      }
    }
    return view;
  }
  if (s instanceof z.ZodRecord) {
    const view: ObjectView = out ?? { shape: new Map(), open: false, catchall: [] };
    view.open = true;
    view.catchall.push(s._zod.def.valueType as unknown as ZodType);
    return view;
  }
  if (def.type === "intersection" && def.left && def.right) {
    const view: ObjectView = out ?? { shape: new Map(), open: false, catchall: [] };
    const left = objectView(def.left, value, view, seen);
    const right = objectView(def.right, value, view, seen);
    return left || right ? view : undefined;
  }
  if (s instanceof z.ZodUnion && value !== undefined) {
    if (seen) seen.union = true;
    const option = pickOption(s, value);
    return option ? objectView(option, value, out, seen) : undefined;
  }
  return undefined;
}

/** Views that do not depend on the value (no union inside), computed once per schema. */
const staticViews = new WeakMap<ZodType, ObjectView | null>();

function viewFor(schema: ZodType, value: unknown): ObjectView | undefined {
  const cached = staticViews.get(schema);
  if (cached !== undefined) return cached ?? undefined;
  const seen = { union: false };
  const view = objectView(schema, value, undefined, seen);
  if (!seen.union) staticViews.set(schema, view ?? null);
  return view;
}

/** What the unknown-field walk needs to know about a schema, read once per schema. */
interface WalkPlan {
  /** The schema under its wrappers. */
  readonly schema: ZodType;
  /** Element schema, when it is an array. */
  readonly element?: ZodType;
  /** The union, when it is one (its member depends on the value). */
  readonly union?: z.ZodUnion;
}

const walkPlans = new WeakMap<ZodType, WalkPlan>();

function walkPlanOf(schema: ZodType): WalkPlan {
  let plan = walkPlans.get(schema);
  if (plan === undefined) {
    const s = unwrap(schema);
    plan = s instanceof z.ZodArray ? { schema: s, element: s.element as ZodType } : s instanceof z.ZodUnion ? { schema: s, union: s } : { schema: s };
    walkPlans.set(schema, plan);
  }
  return plan;
}

function collectUnknown(schema: ZodType, value: unknown, path: string, out: Set<string>, depth: number): void {
  if (out.size >= MAX_REPORTED || depth > 64 || value === null || typeof value !== "object") return;
  const plan = walkPlanOf(schema);
  if (Array.isArray(value)) {
    if (plan.element !== undefined) {
      // Every item shares one schema and one folded path: work them out once.
      const itemPath = `${path}[*]`;
      for (const item of value) if (item !== null && typeof item === "object") collectUnknown(plan.element, item, itemPath, out, depth + 1);
    } else if (plan.union !== undefined) {
      const option = pickOption(plan.union, value);
      if (option) collectUnknown(option, value, path, out, depth + 1);
    }
    return;
  }
  if (plan.union !== undefined) {
    const option = pickOption(plan.union, value);
    if (option) collectUnknown(option, value, path, out, depth + 1);
    return;
  }
  const view = viewFor(plan.schema, value);
  if (view === undefined) return;
  for (const key in value as Record<string, unknown>) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const child = (value as Record<string, unknown>)[key];
    const known = view.shape.get(key);
    // Only objects can hold unknown fields: skip building paths for the leaves.
    if (known) {
      if (child !== null && typeof child === "object") for (const k of known) collectUnknown(k, child, `${path}${propertyAccess(key)}`, out, depth + 1);
    } else if (view.open) {
      if (child !== null && typeof child === "object") for (const c of view.catchall) collectUnknown(c, child, `${path}.*`, out, depth + 1);
    } else if (out.size < MAX_REPORTED) out.add(`${path}${propertyAccess(key)}`);
  }
}

/**
 * The union member that best explains the value: among the members that accept it,
 * the one leaving the fewest unknown keys (tolerant objects accept almost anything,
 * so "first that parses" would blame a Dog for not being a Cat).
 */
function pickOption(union: z.ZodUnion, value: unknown): ZodType | undefined {
  const options = union.options as readonly ZodType[];
  let best: ZodType | undefined;
  let bestScore = Infinity;
  for (const option of options) {
    if (!option.safeParse(value).success) continue;
    const score = shallowUnknownCount(option, value);
    if (score < bestScore) {
      best = option;
      bestScore = score;
    }
  }
  return best ?? options.find((o) => objectView(o) !== undefined);
}

function shallowUnknownCount(schema: ZodType, value: unknown): number {
  const view = objectView(schema);
  if (view === undefined || view.open || value === null || typeof value !== "object" || Array.isArray(value)) return 0;
  let count = 0;
  for (const key of Object.keys(value)) if (!view.shape.has(key)) count++;
  return count;
}

/** `.key`, or `["odd key"]` when the key is not an identifier: one JSON-path spelling for every drift report. */
export function propertyAccess(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "$";
  for (const segment of path) out += typeof segment === "number" ? `[${segment}]` : propertyAccess(String(segment));
  return out;
}
