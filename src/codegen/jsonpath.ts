/**
 * The part of JSONPath (RFC 9535) that OpenAPI Overlay targets use in practice, for
 * overlay.ts: no JSONPath library is among the dependencies, and this subset is small.
 *
 *   $                       the root
 *   .name  ['name']  ["n"]  a member (bracketed names may hold any character: ['/pets/{id}'])
 *   [0]  [-1]               an array element (negative counts from the end)
 *   .*  [*]                 every member or element
 *   ['a','b']  [0,2]        several of the above
 *   ..name  ..*  ..[…]      the same, at any depth
 *   [?(@.x == 'y')]         the members or elements for which a filter holds; `?` with or
 *                           without the parentheses. A filter compares a path from `@` with
 *                           a literal ('s', "s", 1, true, false, null) by == or !=, tests that
 *                           a path exists (`@.x`, `!@.x`), and combines with && and ||.
 *
 * Anything else (functions, slices, `$` inside filters, < and >) is a syntax error naming
 * the position, never a silent mismatch.
 */
import { isObject } from "./json.js";

export class JsonPathSyntaxError extends Error {
  override readonly name = "JsonPathSyntaxError";
  constructor(
    readonly expression: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`${reason} at position ${position} of JSONPath ${JSON.stringify(expression)}`);
  }
}

type Literal = string | number | boolean | null;

type Selector =
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "wildcard" }
  | { readonly kind: "filter"; readonly test: Filter };

type Filter =
  | { readonly kind: "exists"; readonly path: ReadonlyArray<string | number> }
  | { readonly kind: "compare"; readonly path: ReadonlyArray<string | number>; readonly op: "==" | "!="; readonly value: Literal }
  | { readonly kind: "not"; readonly test: Filter }
  | { readonly kind: "and" | "or"; readonly left: Filter; readonly right: Filter };

interface Segment {
  /** `..`: the selectors apply to the node and to every node below it. */
  readonly descendant: boolean;
  readonly selectors: readonly Selector[];
}

/** A parsed JSONPath: parse once, query many documents. */
export interface JsonPath {
  readonly expression: string;
  readonly segments: readonly Segment[];
}

/** One node a query selected, with where it sits (for removing it or naming it in a message). */
export interface JsonPathMatch {
  readonly value: unknown;
  /** The object or array holding it; undefined for the root. */
  readonly parent: Record<string, unknown> | unknown[] | undefined;
  readonly key: string | number | undefined;
  /** Keys from the root down to it. */
  readonly path: ReadonlyArray<string | number>;
}

export function parseJsonPath(expression: string): JsonPath {
  return { expression, segments: new Parser(expression).parse() };
}

/** The nodes of `root` the path selects, in document order per segment. */
export function queryJsonPath(root: unknown, path: JsonPath | string): JsonPathMatch[] {
  const compiled = typeof path === "string" ? parseJsonPath(path) : path;
  let nodes: JsonPathMatch[] = [{ value: root, parent: undefined, key: undefined, path: [] }];
  for (const segment of compiled.segments) {
    const next: JsonPathMatch[] = [];
    for (const node of nodes) {
      const bases = segment.descendant ? selfAndDescendants(node) : [node];
      for (const base of bases) for (const selector of segment.selectors) select(base, selector, next);
    }
    nodes = next;
  }
  return nodes;
}

function select(node: JsonPathMatch, selector: Selector, into: JsonPathMatch[]): void {
  const value = node.value;
  switch (selector.kind) {
    case "name":
      if (isObject(value) && Object.hasOwn(value, selector.name)) into.push(child(node, value, selector.name));
      return;
    case "index":
      if (Array.isArray(value)) {
        const i = selector.index < 0 ? value.length + selector.index : selector.index;
        if (i >= 0 && i < value.length) into.push(child(node, value, i));
      }
      return;
    case "wildcard":
      for (const c of children(node)) into.push(c);
      return;
    case "filter":
      for (const c of children(node)) if (holds(selector.test, c.value)) into.push(c);
      return;
  }
}

function child(node: JsonPathMatch, parent: Record<string, unknown> | unknown[], key: string | number): JsonPathMatch {
  return { value: (parent as Record<string | number, unknown>)[key], parent, key, path: [...node.path, key] };
}

function children(node: JsonPathMatch): JsonPathMatch[] {
  const value = node.value;
  if (Array.isArray(value)) return value.map((_, i) => child(node, value, i));
  if (isObject(value)) return Object.keys(value).map((k) => child(node, value, k));
  return [];
}

/** The node and every node under it, depth first. Iterative: specs nest deep. */
function selfAndDescendants(node: JsonPathMatch): JsonPathMatch[] {
  const out: JsonPathMatch[] = [];
  const stack = [node];
  while (stack.length > 0) {
    const current = stack.pop()!;
    out.push(current);
    const below = children(current);
    for (let i = below.length - 1; i >= 0; i--) stack.push(below[i]!);
  }
  return out;
}

const MISSING = Symbol("missing");

function holds(test: Filter, current: unknown): boolean {
  switch (test.kind) {
    case "exists":
      return walk(current, test.path) !== MISSING;
    case "compare": {
      const found = walk(current, test.path);
      const equal = found !== MISSING && found === test.value;
      return test.op === "==" ? equal : !equal;
    }
    case "not":
      return !holds(test.test, current);
    case "and":
      return holds(test.left, current) && holds(test.right, current);
    case "or":
      return holds(test.left, current) || holds(test.right, current);
  }
}

function walk(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === "number" && Array.isArray(current) && key < current.length) current = current[key];
    else if (typeof key === "string" && isObject(current) && Object.hasOwn(current, key)) current = current[key];
    else return MISSING;
  }
  return current;
}

const NAME_START = /[A-Za-z_$\u0080-\uffff]/;
const NAME_CHAR = /[A-Za-z0-9_$\-\u0080-\uffff]/;

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Segment[] {
    this.skipSpaces();
    if (this.text[this.pos] !== "$") this.fail("a JSONPath starts with $");
    this.pos++;
    const segments: Segment[] = [];
    while (this.pos < this.text.length) {
      this.skipSpaces();
      if (this.pos >= this.text.length) break;
      if (this.text.startsWith("..", this.pos)) {
        this.pos += 2;
        segments.push({ descendant: true, selectors: this.text[this.pos] === "[" ? this.bracket() : [this.dotted()] });
      } else if (this.text[this.pos] === ".") {
        this.pos++;
        segments.push({ descendant: false, selectors: [this.dotted()] });
      } else if (this.text[this.pos] === "[") {
        segments.push({ descendant: false, selectors: this.bracket() });
      } else {
        this.fail(`unexpected ${JSON.stringify(this.text[this.pos])}`);
      }
    }
    return segments;
  }

  /** What follows a `.` or `..`: a name or `*`. */
  private dotted(): Selector {
    if (this.text[this.pos] === "*") {
      this.pos++;
      return { kind: "wildcard" };
    }
    return { kind: "name", name: this.name() };
  }

  private name(): string {
    const start = this.pos;
    if (!NAME_START.test(this.text[this.pos] ?? "")) this.fail("expected a member name");
    while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** `[…]`: one or more selectors separated by commas. */
  private bracket(): Selector[] {
    this.expect("[");
    const selectors: Selector[] = [];
    for (;;) {
      this.skipSpaces();
      selectors.push(this.selector());
      this.skipSpaces();
      if (this.text[this.pos] === ",") {
        this.pos++;
        continue;
      }
      this.expect("]");
      return selectors;
    }
  }

  private selector(): Selector {
    const c = this.text[this.pos];
    if (c === "'" || c === '"') return { kind: "name", name: this.quoted() };
    if (c === "*") {
      this.pos++;
      return { kind: "wildcard" };
    }
    if (c === "?") {
      this.pos++;
      this.skipSpaces();
      return { kind: "filter", test: this.orExpression() };
    }
    if (c !== undefined && /[-0-9]/.test(c)) return { kind: "index", index: this.integer() };
    return this.fail("expected a quoted name, an index, * or a ?filter");
  }

  private orExpression(): Filter {
    return this.leftAssociative("||", "or", () => this.andExpression());
  }

  private andExpression(): Filter {
    return this.leftAssociative("&&", "and", () => this.unary());
  }

  /** `a op b op c` read as `(a op b) op c`; `&&` binds tighter because `||`'s operands are `&&` runs. */
  private leftAssociative(operator: "||" | "&&", kind: "or" | "and", operand: () => Filter): Filter {
    let left = operand();
    for (;;) {
      this.skipSpaces();
      if (!this.text.startsWith(operator, this.pos)) return left;
      this.pos += operator.length;
      left = { kind, left, right: operand() };
    }
  }

  private unary(): Filter {
    this.skipSpaces();
    const c = this.text[this.pos];
    if (c === "!") {
      this.pos++;
      return { kind: "not", test: this.unary() };
    }
    if (c === "(") {
      this.pos++;
      const inner = this.orExpression();
      this.skipSpaces();
      this.expect(")");
      return inner;
    }
    if (c !== "@") this.fail("a filter tests a path from @");
    this.pos++;
    const path = this.relativePath();
    this.skipSpaces();
    const op = this.text.slice(this.pos, this.pos + 2);
    if (op === "==" || op === "!=") {
      this.pos += 2;
      this.skipSpaces();
      return { kind: "compare", path, op, value: this.literal() };
    }
    if (/^[<>]/.test(op)) this.fail("only == and != comparisons are supported");
    return { kind: "exists", path };
  }

  /** `.a['b'][0]` after `@`. */
  private relativePath(): Array<string | number> {
    const path: Array<string | number> = [];
    for (;;) {
      const c = this.text[this.pos];
      if (c === "." && this.text[this.pos + 1] !== ".") {
        this.pos++;
        path.push(this.name());
      } else if (c === "[") {
        this.pos++;
        this.skipSpaces();
        const q = this.text[this.pos];
        path.push(q === "'" || q === '"' ? this.quoted() : this.integer());
        this.skipSpaces();
        this.expect("]");
      } else {
        return path;
      }
    }
  }

  private literal(): Literal {
    const c = this.text[this.pos];
    if (c === "'" || c === '"') return this.quoted();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(this.text.slice(this.pos));
    if (!m) this.fail("expected a literal: 'text', a number, true, false or null");
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private quoted(): string {
    const quote = this.text[this.pos]!;
    this.pos++;
    let out = "";
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === "\\") {
        const next = this.text[this.pos + 1];
        const escapes: Record<string, string> = { "'": "'", '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (next === "u" && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
          out += String.fromCharCode(parseInt(this.text.slice(this.pos + 2, this.pos + 6), 16));
          this.pos += 6;
          continue;
        }
        if (next === undefined || escapes[next] === undefined) this.fail("unknown escape in a quoted name");
        out += escapes[next];
        this.pos += 2;
        continue;
      }
      out += c;
      this.pos++;
    }
    return this.fail("unterminated quoted name");
  }

  private integer(): number {
    const m = /^-?\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail("expected an integer");
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) this.fail(this.pos >= this.text.length ? `expected ${JSON.stringify(c)} before the end` : `expected ${JSON.stringify(c)}`);
    this.pos++;
  }

  private skipSpaces(): void {
    while (this.text[this.pos] === " " || this.text[this.pos] === "\t") this.pos++;
  }

  private fail(reason: string): never {
    throw new JsonPathSyntaxError(this.text, this.pos, reason);
  }
}
