/**
 * The one-pass check the tolerant reader runs. The first read of a schema compiles it
 * into closures (cached per schema object), which then check a value and find its
 * unknown keys in the same walk, without copying it.
 */
import { allOfChecker, anyOfChecker } from "./validate-compose.js";
import { ANY, ARRAY, describeKinds, describeValue, INTEGER, isPacked, kindOf, LEAF_KINDS, NULL, NUMBER, type ArraySchema, type ObjectSchema, type PackedSchema, type Schema, type SchemaLeaf } from "./validate-schema.js";
import { objectChecker, objectView, tooDeep, type ObjectView } from "./validate-object.js";
import { MAX_DEPTH, type Walk } from "./validate-walk.js";
import { cleanPredicate, type CleanPredicate } from "./validate-clean.js";

export type CheckFn = (value: unknown, walk: Walk) => void;

/**
 * A schema ready to check values. Built on first use, so compiling a schema never
 * follows references further than the walk does (recursive schemas compile lazily).
 */
export class Checker {
  check: CheckFn = (value, walk) => {
    this.build();
    this.check(value, walk);
  };
  private built = false;
  private kinds = 0;
  private objectView: ObjectView | undefined;
  private holds: boolean | undefined;
  private parts: Checker[] | undefined;
  /** The fast path (validate-clean.ts): undefined until asked for, null where it cannot be built. */
  private cleanFn: CleanPredicate | null | undefined;

  constructor(readonly node: Exclude<Schema, PackedSchema | (() => Schema)>) {}

  /** The compiled members of an anyOf, or parts of an allOf (empty for anything else). */
  get members(): Checker[] {
    if (this.parts === undefined) {
      const node = this.node;
      this.parts = typeof node === "string" ? [] : "anyOf" in node ? node.anyOf.map(compile) : "allOf" in node ? node.allOf.map(compile) : [];
    }
    return this.parts;
  }

  /** The checker of an array schema's items (undefined for anything else). */
  get items(): Checker | undefined {
    const node = this.node;
    return typeof node !== "string" && "type" in node && node.type === "array" ? compile((node as ArraySchema).items) : undefined;
  }

  /** Whether a value is clean (nothing the walk would report), answered fast; undefined where no fast answer can be built. */
  get clean(): CleanPredicate | undefined {
    if (this.cleanFn === undefined) this.cleanFn = cleanPredicate(this) ?? null;
    return this.cleanFn ?? undefined;
  }

  /** What kinds of value the schema accepts (to pick union members without trying each). */
  get mask(): number {
    this.build();
    return this.kinds;
  }

  /** The declared keys when the schema is an object (or an allOf of objects). */
  get view(): ObjectView | undefined {
    this.build();
    return this.objectView;
  }

  /**
   * Whether a critical field sits somewhere inside (through objects, not array items: an
   * absent list has no items to miss). A body of `null`, an array or HTML where such an
   * object is declared breaks them all.
   */
  get holdsCritical(): boolean {
    if (this.holds === undefined) {
      this.holds = false; // a recursive schema meets itself here
      this.holds = holdsCritical(this);
    }
    return this.holds;
  }

  private build(): void {
    if (this.built) return;
    this.built = true;
    const built = buildChecker(this, this.node);
    this.kinds = built.mask;
    this.objectView = built.view;
    this.check = built.check;
  }
}

export interface Built {
  readonly check: CheckFn;
  readonly mask: number;
  readonly view?: ObjectView;
}

function buildChecker(self: Checker, node: Checker["node"]): Built {
  if (typeof node === "string") return leaf(node, false);
  const nullable = "nullable" in node && node.nullable === true;
  if ("enum" in node) return enumChecker(node.enum);
  if ("anyOf" in node) return anyOfChecker(self.members, nullable, self);
  if ("allOf" in node) return allOfChecker(self.members, nullable, self);
  if (node.type === "object") return objectChecker(objectView(node as ObjectSchema), nullable, self);
  if (node.type === "array") return arrayChecker(compile((node as ArraySchema).items), nullable, self);
  return leaf(node.type, nullable);
}

function leaf(type: SchemaLeaf, nullable: boolean): Built {
  const kinds = (LEAF_KINDS[type] ?? ANY) | (nullable ? NULL : 0);
  if (kinds === ANY) return { check: () => {}, mask: ANY };
  const expected = describeKinds(kinds);
  return {
    mask: kinds,
    check: (value, walk) => {
      if ((kindOf(value) & kinds) === 0) walk.issue("invalid_type", `expected ${expected}, got ${describeValue(value)}`);
    },
  };
}

function enumChecker(values: readonly (string | number | boolean | null)[]): Built {
  const allowed = new Set<unknown>(values);
  let mask = 0;
  for (const value of values) mask |= kindOf(value) === INTEGER ? NUMBER : kindOf(value);
  const message = `not one of the ${allowed.size} declared values`;
  return {
    mask,
    check: (value, walk) => {
      if (!allowed.has(value)) walk.issue("invalid_value", message);
    },
  };
}

function arrayChecker(items: Checker, nullable: boolean, self: Checker): Built {
  const expected = nullable ? "array or null" : "array";
  return {
    mask: ARRAY | (nullable ? NULL : 0),
    check: (value, walk) => {
      if (!Array.isArray(value)) {
        if (!(nullable && value === null)) walk.issue("invalid_type", `expected ${expected}, got ${describeValue(value)}`, self.holdsCritical);
        return;
      }
      if (items.mask === ANY || value.length === 0) return;
      if (walk.depth >= MAX_DEPTH) return tooDeep(walk);
      const composing = walk.descend();
      for (let i = 0; i < value.length; i++) {
        walk.enterIndex(i);
        items.check(value[i], walk);
        walk.leave();
      }
      walk.ascend(composing);
    },
  };
}

function holdsCritical(checker: Checker): boolean {
  const node = checker.node;
  if (typeof node === "string" || "enum" in node) return false;
  if ("anyOf" in node) {
    const members = checker.members.filter((m) => m.mask !== NULL);
    return members.length > 0 && members.every((m) => m.holdsCritical);
  }
  const view = checker.view;
  if (view === undefined) return checker.members.some((part) => part.holdsCritical);
  for (const property of view.properties.values()) if (property.critical || property.checker.holdsCritical) return true;
  return false;
}

const compiled = new WeakMap<object, Checker>();
const leaves = new Map<string, Checker>();

/** The checker of a schema, compiled once per schema object (references and packed text resolved). */
export function compile(schema: Schema): Checker {
  let current: Schema = schema;
  const start = schema;
  for (let hops = 0; hops < 64; hops++) {
    if (typeof current === "string") {
      let checker = leaves.get(current);
      if (checker === undefined) leaves.set(current, (checker = new Checker(current)));
      if (typeof start !== "string") compiled.set(start, checker);
      return checker;
    }
    const cached = compiled.get(current);
    if (cached !== undefined) {
      if (current !== start && typeof start !== "string") compiled.set(start, cached);
      return cached;
    }
    if (typeof current === "function") current = current();
    else if (isPacked(current)) current = unpack(current);
    else {
      const checker = new Checker(current);
      compiled.set(current, checker);
      if (current !== start && typeof start !== "string") compiled.set(start, checker);
      return checker;
    }
  }
  return compile("unknown"); // a reference that only ever names another reference
}

function unpack(packed: PackedSchema): Schema {
  const refs = packed.refs?.() ?? [];
  return JSON.parse(packed.json, (_key, value: unknown) => {
    if (typeof value === "object" && value !== null && typeof (value as { $ref?: unknown }).$ref === "number") {
      return refs[(value as { $ref: number }).$ref] ?? "unknown";
    }
    return value;
  }) as Schema;
}
