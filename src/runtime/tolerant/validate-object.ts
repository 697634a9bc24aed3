/**
 * Objects in the one-pass check: each own key of the value is looked at once, declared
 * keys are checked, map keys read with the map's value schema, the rest reported as
 * unknown fields (kept in the value, never removed).
 */
import type { Built, Checker } from "./validate.js";
import { compile } from "./validate.js";
import { describeKinds, describeValue, kindOf, NULL, OBJECT, type ObjectSchema } from "./validate-schema.js";
import { MAX_DEPTH, type Walk } from "./validate-walk.js";

/** A declared property of an object (or of several allOf parts that declare it). */
export interface Property {
  readonly key: string;
  readonly checker: Checker;
  readonly required: boolean;
  readonly critical: boolean;
}

/** The keys an object schema declares (merged across allOf parts). */
export class ObjectView {
  private walkPlan: Plan | undefined;

  constructor(
    readonly properties: ReadonlyMap<string, Property>,
    readonly required: readonly string[],
    /** The value schema of a declared map; undefined when unknown keys are drift. */
    readonly extra: Checker | undefined,
  ) {}

  /** How the view is walked, worked out on first use (its properties' schemas compiled by then). */
  get plan(): Plan {
    return (this.walkPlan ??= planOf(this));
  }
}

export function objectChecker(view: ObjectView, nullable: boolean, self: Checker): Built {
  const expected = nullable ? "object or null" : "object";
  return {
    mask: OBJECT | (nullable ? NULL : 0),
    view,
    check: (value, walk) => {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        if (!(nullable && value === null)) walk.issue("invalid_type", `expected ${expected}, got ${describeValue(value)}`, self.holdsCritical);
        return;
      }
      checkObject(view, value as Record<string, unknown>, walk);
    },
  };
}

/** How a view is walked. */
interface Plan {
  readonly declared: readonly Step[];
  readonly missing: readonly Property[];
  /** The declared steps by key, for the clean-object pass. */
  readonly byKey: Readonly<Record<string, Step | undefined>>;
  /**
   * The keys of the last object read, in its order, with their steps: the items of a list
   * share their key order, so a key is usually found by one comparison, not a lookup.
   */
  readonly lastKeys: string[];
  readonly lastSteps: Step[];
  /** The steps whose values are walked into (not checked inline), in declared order. */
  readonly nested: readonly Step[];
}

interface Step {
  readonly property: Property;
  /** For a plain leaf ("string", a nullable integer, …): the kinds it takes, checked inline. */
  readonly kinds: number;
  /** Checks a flat value (an enum) without entering it; undefined for values to walk into. */
  readonly test: ((value: unknown) => boolean) | undefined;
  /** The name is also a property of every object (`constructor`): read it only when own. */
  readonly inherited: boolean;
}

function planOf(view: ObjectView): Plan {
  const declared = [...view.properties.values()].map((property): Step => ({ property, ...flatness(property.checker), inherited: property.key in Object.prototype }));
  // A required key the object does not describe must still be there.
  const missing = view.required.map((key) => view.properties.get(key) ?? { key, checker: compile("unknown"), required: true, critical: false });
  const byKey: Record<string, Step> = Object.create(null);
  for (const step of declared) byKey[step.property.key] = step;
  return { declared, missing, byKey, lastKeys: [], lastSteps: [], nested: declared.filter((step) => step.kinds === 0 && step.test === undefined) };
}

function flatness(checker: Checker): { kinds: number; test: ((value: unknown) => boolean) | undefined } {
  const node = checker.node;
  if (typeof node === "string" || ("type" in node && node.type !== "object" && node.type !== "array")) return { kinds: checker.mask, test: undefined };
  if ("enum" in node) {
    const allowed = new Set<unknown>(node.enum);
    return { kinds: 0, test: (value) => allowed.has(value) };
  }
  return { kinds: 0, test: undefined };
}

/**
 * One pass over the value: each declared key is read once and checked; only when the
 * value has more keys than it matched are its keys scanned for map entries and drift.
 */
export function checkObject(view: ObjectView, value: Record<string, unknown>, walk: Walk): void {
  if (walk.depth >= MAX_DEPTH) return tooDeep(walk);
  const composing = walk.descend();
  const plan = view.plan;
  if (flatFieldsClean(plan, value)) {
    // Nothing inline to report: only the nested values are left, in declared order, as below.
    for (let i = 0; i < plan.nested.length; i++) {
      const property = plan.nested[i]!.property;
      const child = plan.nested[i]!.inherited && !Object.hasOwn(value, property.key) ? undefined : value[property.key];
      if (child !== undefined) checkProperty(property, child, walk);
    }
    return walk.ascend(composing);
  }
  let matched = 0;
  let missing = false;
  for (let i = 0; i < plan.declared.length; i++) {
    const step = plan.declared[i]!;
    const property = step.property;
    const child = step.inherited && !Object.hasOwn(value, property.key) ? undefined : value[property.key];
    if (child === undefined) {
      if (!Object.hasOwn(value, property.key)) {
        if (property.required) missing = true;
        continue;
      }
      matched++;
      // An optional key set to undefined (never so in JSON) is as good as absent.
      if (!property.required) continue;
    } else matched++;
    if (step.kinds !== 0 ? (kindOf(child) & step.kinds) !== 0 : step.test !== undefined && step.test(child)) continue;
    checkProperty(property, child, walk);
  }
  if (missing || plan.missing.length > plan.declared.length) reportMissing(plan, value, walk);
  const keys = Object.keys(value);
  if (keys.length > matched) scanRest(view, value, keys, walk);
  walk.ascend(composing);
}

function checkProperty(property: Property, child: unknown, walk: Walk): void {
  walk.enter(property.key);
  if (property.critical) walk.criticalDepth++;
  property.checker.check(child, walk);
  if (property.critical) walk.criticalDepth--;
  walk.leave();
}

/**
 * The common case, in one pass over the value's keys (for-in reads each value by its
 * place, not by name): every key declared, every required key there, every flat value of
 * its kind. When this says no, the full walk above finds and reports what is off.
 */
function flatFieldsClean(plan: Plan, value: Record<string, unknown>): boolean {
  let required = 0;
  let at = 0;
  for (const key in value) {
    let step: Step | undefined;
    if (plan.lastKeys[at] === key) step = plan.lastSteps[at]!;
    else {
      step = plan.byKey[key];
      if (step === undefined) return false;
      plan.lastKeys[at] = key;
      plan.lastSteps[at] = step;
    }
    at++;
    const child = value[key];
    if (child === undefined) return false;
    if (step.property.required) required++;
    if (step.kinds !== 0 ? (kindOf(child) & step.kinds) === 0 : step.test !== undefined && !step.test(child)) return false;
  }
  return required === plan.missing.length;
}

/** The keys the schema does not declare: a map's entries, or unknown fields. */
function scanRest(view: ObjectView, value: Record<string, unknown>, keys: readonly string[], walk: Walk): void {
  for (const key of keys) {
    if (view.properties.has(key)) continue;
    if (view.extra === undefined) walk.unknownField(key);
    else {
      walk.enterMapKey(key);
      view.extra.check(value[key], walk);
      walk.leave();
    }
  }
}

function reportMissing(plan: Plan, value: Record<string, unknown>, walk: Walk): void {
  for (const property of plan.missing) {
    if (Object.hasOwn(value, property.key)) continue;
    walk.enter(property.key);
    walk.issue("invalid_type", `required field missing (expected ${describeKinds(property.checker.mask)})`, property.critical || property.checker.holdsCritical);
    walk.leave();
  }
}

export function tooDeep(walk: Walk): void {
  walk.issue("too_deep", `nested deeper than ${MAX_DEPTH} levels; not checked further`);
}

export function objectView(node: ObjectSchema): ObjectView {
  const required = new Set(node.required ?? []);
  const critical = new Set(node.critical ?? []);
  const properties = new Map<string, Property>();
  for (const [key, schema] of Object.entries(node.properties ?? {})) {
    properties.set(key, { key, checker: compile(schema), required: required.has(key), critical: critical.has(key) });
  }
  return new ObjectView(properties, [...required], node.additionalProperties === undefined ? undefined : compile(node.additionalProperties));
}
