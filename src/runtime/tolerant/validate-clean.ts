/**
 * The tolerant reader's fast path: one function per schema that only answers "is this value
 * clean", i.e. would the full walk find no issue and no unknown field. Most bodies are clean,
 * and for them this is about four times cheaper than the walk: each declared property is a
 * plain property read at its own site (the walk's shared loop reads every key through one
 * site that sees them all), with no path kept. When it answers no, or cannot be built, the
 * full walk runs and says why, so what a read reports never depends on this file.
 *
 * It must never answer yes where the walk would report something; it may answer no where
 * the walk would not (the walk then finds nothing, and only time is lost). Unions,
 * intersections and maps are answered by the walk itself, from their depth.
 *
 * Built once per schema with `new Function`, the way Ajv builds validators. Where a content
 * security policy forbids that (a browser page, an edge runtime), nothing is built and every
 * read takes the walk.
 */
import type { Checker } from "./validate.js";
import { ANY, BOOLEAN, INTEGER, kindOf, NULL, NUMBER, STRING } from "./validate-schema.js";
import { MAX_DEPTH, Walk } from "./validate-walk.js";

/** `value` at `depth` (0 for a body): true only where the walk would find nothing to report. */
export type CleanPredicate = (value: unknown) => boolean;

/** Past this many object and array schemas under one root, the walk alone is used (the code would be large for little gain). */
const MAX_FUNCTIONS = 500;

/** Builds functions from source; replaced in tests to stand for a runtime that refuses code generation. */
export type FunctionMaker = (parameters: readonly string[], body: string) => (...args: never[]) => unknown;

const makeFunction: FunctionMaker = (parameters, body) => new Function(...parameters, body) as (...args: never[]) => unknown;

/** Once code generation has been refused, it is not tried again. */
let refused = false;

export function cleanPredicate(root: Checker, make: FunctionMaker = makeFunction): CleanPredicate | undefined {
  if (refused && make === makeFunction) return undefined;
  const source = new Source();
  let entry: string;
  try {
    entry = source.test(root, "v", "0");
  } catch {
    // A schema the walk reads but this cannot describe (a malformed one a caller wrote): the walk answers.
    return undefined;
  }
  if (source.tooLarge) return undefined;
  const body = `"use strict";\n${source.functions.join("\n")}\nreturn function clean(v) { return ${entry}; };`;
  try {
    const build = make(["kindOf", "hasOwn", "S", "K", "W"], body) as (...args: unknown[]) => CleanPredicate;
    return build(kindOf, Object.hasOwn, source.sets, source.fallbacks, walkClean);
  } catch {
    if (make === makeFunction) refused = true;
    return undefined;
  }
}

/** Tests of one kind a value has, written out (as `kindOf` decides it): no call for the common leaves. */
const KIND_TESTS: ReadonlyArray<readonly [number, (value: string) => string]> = [
  [STRING, (v) => `typeof ${v} === "string"`],
  [BOOLEAN, (v) => `typeof ${v} === "boolean"`],
  [INTEGER, (v) => `Number.isInteger(${v})`],
  [NUMBER, (v) => `Number.isFinite(${v})`],
  [NULL, (v) => `${v} === null`],
];

/** An expression true when `value` is of a kind in `mask`. */
function kindTest(mask: number, value: string): string {
  if (mask === ANY) return "true";
  const exact = KIND_TESTS.find(([kinds]) => kinds === mask);
  if (exact !== undefined) return exact[1](value);
  const orNull = KIND_TESTS.find(([kinds]) => (kinds | NULL) === mask);
  if (orNull !== undefined) return `(${value} === null || ${orNull[1](value)})`;
  return `(kindOf(${value}) & ${mask}) !== 0`;
}

/** What the walk reports for `value` at `depth`, as a yes or no. */
function walkClean(checker: Checker, value: unknown, depth: number): boolean {
  const walk = new Walk();
  walk.depth = depth;
  checker.check(value, walk);
  return walk.issueCount === 0 && walk.unknownList.length === 0;
}

/** The generated source: a function per object and array schema, enum sets and the schemas left to the walk. */
class Source {
  readonly functions: string[] = [];
  readonly sets: Array<ReadonlySet<unknown>> = [];
  readonly fallbacks: Checker[] = [];
  tooLarge = false;
  private readonly named = new Map<Checker, string>();

  /** An expression that is true when `value` (at `depth`) is clean for `checker`. */
  test(checker: Checker, value: string, depth: string): string {
    const node = checker.node;
    // The walk reads a node's enum first, then anyOf, then allOf, then its type: unions and
    // intersections (even beside a type) are the walk's to answer.
    if (typeof node !== "string" && !("enum" in node) && ("anyOf" in node || "allOf" in node)) {
      this.fallbacks.push(checker);
      return `W(K[${this.fallbacks.length - 1}], ${value}, ${depth})`;
    }
    if (typeof node !== "string" && "enum" in node) {
      this.sets.push(new Set<unknown>(node.enum));
      return `S[${this.sets.length - 1}].has(${value})`;
    }
    if (typeof node === "string" || ("type" in node && node.type !== "object" && node.type !== "array")) {
      return kindTest(checker.mask, value);
    }
    const name = this.functionFor(checker);
    if (name === undefined) {
      this.fallbacks.push(checker);
      return `W(K[${this.fallbacks.length - 1}], ${value}, ${depth})`;
    }
    return `${name}(${value}, ${depth})`;
  }

  /** The name of the function that checks an object or array schema; undefined for what the walk answers. */
  private functionFor(checker: Checker): string | undefined {
    const known = this.named.get(checker);
    if (known !== undefined) return known;
    const node = checker.node;
    if (typeof node === "string" || !("type" in node)) return undefined;
    const view = node.type === "object" ? checker.view : undefined;
    // A map's keys are read with its value schema, and a required key the object does not describe is an unknown field when present: the walk's.
    if (view !== undefined && (view.extra !== undefined || view.required.some((key) => !view.properties.has(key)))) return undefined;
    if (this.named.size >= MAX_FUNCTIONS) {
      this.tooLarge = true;
      return undefined;
    }
    const name = `f${this.named.size}`;
    this.named.set(checker, name);
    const nullable = "nullable" in node && node.nullable === true;
    const notThere = nullable ? "return o === null;" : "return false;";
    const lines: string[] = [`function ${name}(o, d) {`];
    if (view !== undefined) {
      lines.push(`  if (typeof o !== "object" || o === null || Array.isArray(o)) ${notThere}`, `  if (d >= ${MAX_DEPTH}) return false;`, "  let n = 0, x;");
      for (const property of view.properties.values()) {
        const key = JSON.stringify(property.key);
        // A name every object inherits (`constructor`) is read only when the value has it as its own.
        const read = property.key in Object.prototype ? `hasOwn(o, ${key}) ? o[${key}] : undefined` : `o[${key}]`;
        const absent = property.required ? "return false;" : `if (hasOwn(o, ${key})) return false;`;
        lines.push(`  x = ${read};`, `  if (x === undefined) { ${absent} } else { n++; if (!(${this.test(property.checker, "x", "d + 1")})) return false; }`);
      }
      // Every key counted against the declared ones found: any other key would be an unknown field.
      lines.push("  for (const k in o) n--;", "  return n === 0;");
    } else {
      const items = checker.items!;
      lines.push(`  if (!Array.isArray(o)) ${notThere}`);
      if (items.mask === ANY) lines.push("  return true;");
      else {
        lines.push("  if (o.length === 0) return true;", `  if (d >= ${MAX_DEPTH}) return false;`);
        lines.push(`  for (let i = 0; i < o.length; i++) { const x = o[i]; if (!(${this.test(items, "x", "d + 1")})) return false; }`, "  return true;");
      }
    }
    lines.push("}");
    this.functions.push(lines.join("\n"));
    return name;
  }
}
