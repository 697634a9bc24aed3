/**
 * What one tolerant read collects while it walks a value: issues, unknown fields and the
 * issues that hit critical fields, each under a cap, with JSON paths built only when
 * something is reported (the walk itself keeps a stack of keys, not strings).
 */

export interface DriftIssue {
  /** JSON path of the offending value, e.g. `$.data[3].status`. */
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** At most this many issues and unknown fields are reported per read; the data is never cut. */
export const MAX_REPORTED = 100;

/**
 * How deep the walk follows a value. JSON from a real API is rarely 30 levels deep; a
 * recursive schema must not let a hostile body exhaust the stack.
 */
export const MAX_DEPTH = 256;

/** How many unions and intersections may nest inside one another without reaching into the data. */
export const MAX_COMPOSING = 32;

const PROPERTY = 0;
const INDEX = 1;
const MAP_KEY = 2;

/** What a union member left in the walk while it was being tried. */
export interface Attempt {
  readonly issueCount: number;
  readonly issues: readonly DriftIssue[];
  readonly critical: readonly DriftIssue[];
  readonly unknown: readonly string[];
  readonly unknownAt: ReadonlyArray<readonly [string, string]>;
}

export interface Mark {
  readonly issueCount: number;
  readonly issues: number;
  readonly critical: number;
  readonly unknown: number;
}

export class Walk {
  /** Every issue found, reported or not (only the first MAX_REPORTED are kept). */
  issueCount = 0;
  readonly issues: DriftIssue[] = [];
  readonly critical: DriftIssue[] = [];
  /** Unknown fields in the order found. */
  readonly unknownList: string[] = [];
  /** Where each of them was found: its folded parent path and key. */
  private readonly unknownAt: Array<readonly [string, string]> = [];
  /** The unknown keys found under each folded path, to report each path once (made at the first: most reads find none). */
  private unknownSeen: Map<string, Set<string>> | undefined;
  /** Greater than zero inside a field the spec marks critical. */
  criticalDepth = 0;
  depth = 0;
  /** Unions and intersections entered since the last object or array. */
  composing = 0;
  /** Greater than zero while union members are being tried against each other. */
  trying = 0;
  /**
   * The path as a stack of keys. Entries above `length` are left from earlier siblings:
   * the folded path of a level stays cached while what it folds to is unchanged, so the
   * items of a list share one folded path string.
   */
  private length = 0;
  private readonly keys: Array<string | number> = [];
  private readonly kinds: number[] = [];
  private readonly folded: string[] = [];
  private foldedValid = 0;

  /** Into the items or properties of a value: one level deeper, no union entered yet. */
  descend(): number {
    this.depth++;
    const composing = this.composing;
    this.composing = 0;
    return composing;
  }

  ascend(composing: number): void {
    this.depth--;
    this.composing = composing;
  }

  enter(key: string): void {
    this.push(key, PROPERTY);
  }

  enterIndex(index: number): void {
    this.push(index, INDEX);
  }

  /** A key of a declared map: its own name in issue paths, `.*` in unknown-field paths. */
  enterMapKey(key: string): void {
    this.push(key, MAP_KEY);
  }

  leave(): void {
    this.length--;
  }

  private push(key: string | number, kind: number): void {
    const at = this.length++;
    // Indexes and map keys fold alike; a property is the same only with the same name.
    if (this.kinds[at] !== kind || (kind === PROPERTY && this.keys[at] !== key)) this.foldedValid = Math.min(this.foldedValid, at);
    this.keys[at] = key;
    this.kinds[at] = kind;
  }

  issue(code: string, message: string, critical = false): void {
    this.issueCount++;
    const full = this.issues.length < MAX_REPORTED;
    const hitsCritical = (critical || this.criticalDepth > 0) && this.critical.length < MAX_REPORTED;
    if (!full && !hitsCritical) return;
    const issue = { path: this.exactPath(), code, message };
    if (full) this.issues.push(issue);
    if (hitsCritical) this.critical.push(issue);
  }

  unknownField(key: string): void {
    if (this.unknownList.length >= MAX_REPORTED) return;
    this.addUnknown(this.foldedPath(), key);
  }

  private addUnknown(at: string, key: string): void {
    this.unknownSeen ??= new Map();
    let keys = this.unknownSeen.get(at);
    if (keys === undefined) this.unknownSeen.set(at, (keys = new Set()));
    if (keys.has(key)) return;
    keys.add(key);
    this.unknownList.push(`${at}${propertyAccess(key)}`);
    this.unknownAt.push([at, key]);
  }

  mark(): Mark {
    return { issueCount: this.issueCount, issues: this.issues.length, critical: this.critical.length, unknown: this.unknownList.length };
  }

  /** Takes back everything found since `mark` and returns it, to be compared and maybe kept. */
  takeSince(mark: Mark): Attempt {
    const attempt = {
      issueCount: this.issueCount - mark.issueCount,
      issues: this.issues.splice(mark.issues),
      critical: this.critical.splice(mark.critical),
      unknown: this.unknownList.splice(mark.unknown),
      unknownAt: this.unknownAt.splice(mark.unknown),
    };
    for (const [at, key] of attempt.unknownAt) this.unknownSeen?.get(at)?.delete(key);
    this.issueCount = mark.issueCount;
    return attempt;
  }

  keep(attempt: Attempt): void {
    this.issueCount += attempt.issueCount;
    for (const issue of attempt.issues) if (this.issues.length < MAX_REPORTED) this.issues.push(issue);
    for (const issue of attempt.critical) if (this.critical.length < MAX_REPORTED) this.critical.push(issue);
    for (const [at, key] of attempt.unknownAt) if (this.unknownList.length < MAX_REPORTED) this.addUnknown(at, key);
  }

  /** `$.list[1]["a b"]`. */
  private exactPath(): string {
    let out = "$";
    for (let i = 0; i < this.length; i++) {
      const key = this.keys[i]!;
      out += this.kinds[i] === INDEX ? `[${key}]` : propertyAccess(String(key));
    }
    return out;
  }

  /** `$.list[*]["a b"]`: array indexes folded to `[*]`, map keys to `.*`. */
  private foldedPath(): string {
    if (this.length === 0) return "$";
    for (let i = this.foldedValid; i < this.length; i++) {
      const kind = this.kinds[i];
      const segment = kind === INDEX ? "[*]" : kind === MAP_KEY ? ".*" : propertyAccess(String(this.keys[i]));
      this.folded[i] = `${i === 0 ? "$" : this.folded[i - 1]}${segment}`;
    }
    this.foldedValid = Math.max(this.foldedValid, this.length);
    return this.folded[this.length - 1]!;
  }
}

/** `.key`, or `["odd key"]` when the key is not an identifier: one JSON-path spelling for every drift report. */
export function propertyAccess(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
