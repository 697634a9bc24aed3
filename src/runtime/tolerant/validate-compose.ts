/**
 * Unions and intersections for the one-pass check. A union reads the value with the
 * member that explains it best; an intersection of objects pools the keys its parts
 * declare, so a key is drift only when no part knows it.
 */
import { Checker, type Built } from "./validate.js";
import { checkObject, ObjectView, type Property } from "./validate-object.js";
import { ANY, ARRAY, describeKinds, describeValue, kindOf, NULL, OBJECT } from "./validate-schema.js";
import { MAX_COMPOSING, type Attempt, type Walk } from "./validate-walk.js";

export function anyOfChecker(members: readonly Checker[], nullable: boolean, self: Checker): Built {
  let mask = nullable ? NULL : 0;
  for (const member of members) mask |= member.mask;
  const expected = describeKinds(mask);
  return {
    mask,
    check: (value, walk) => {
      if (nullable && value === null) return;
      // A union that names itself ends in an issue, not a stack overflow.
      if (walk.composing >= MAX_COMPOSING) return selfReference(walk);
      walk.composing++;
      const chosen = choose(members, value, walk);
      if (chosen === undefined) walk.issue("invalid_union", `expected ${expected}, got ${describeValue(value)}`, self.holdsCritical);
      else if (chosen.attempt === undefined) chosen.member.check(value, walk);
      else walk.keep(chosen.attempt);
      walk.composing--;
    },
  };
}

interface Choice {
  readonly index: number;
  readonly member: Checker;
  /** What reading with the member found, when it had to be tried against others. */
  readonly attempt?: Attempt;
}

/**
 * The member that explains the value best. When the value's kind fits one member only,
 * that member is taken without trying it. Otherwise each candidate is tried: the fewest
 * issues win, then the fewest unknown keys (tolerant objects accept almost anything, so
 * "first that fits" would blame a Dog for not being a Cat), then the earlier member.
 * Inside a member being tried, a nested union over objects or arrays is judged by its
 * top level only, so nested unions cost linear work, never one trial per combination.
 * Undefined when no member takes this kind of value at all.
 */
function choose(members: readonly Checker[], value: unknown, walk: Walk): Choice | undefined {
  const kind = kindOf(value);
  let first = -1;
  let count = 0;
  for (let i = 0; i < members.length; i++) {
    if ((members[i]!.mask & kind) === 0) continue;
    if (first < 0) first = i;
    count++;
  }
  if (count === 0) return undefined;
  if (count === 1) return { index: first, member: members[first]! };
  if (walk.trying > 0 && (kind === OBJECT || kind === ARRAY)) return shallowChoice(members, value, kind);
  let best: Required<Choice> | undefined;
  walk.trying++;
  for (let i = first; i < members.length; i++) {
    const member = members[i]!;
    if ((member.mask & kind) === 0) continue;
    const mark = walk.mark();
    member.check(value, walk);
    const attempt = walk.takeSince(mark);
    if (best === undefined || better(attempt, best.attempt)) best = { index: i, member, attempt };
    if (attempt.issueCount === 0 && attempt.unknown.length === 0) break;
  }
  walk.trying--;
  return best;
}

/** The candidate whose declared keys fit the value's own keys best: fewest missing, then fewest unknown. */
function shallowChoice(members: readonly Checker[], value: unknown, kind: number): Choice {
  let best: { index: number; score: number } | undefined;
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!;
    if ((member.mask & kind) === 0) continue;
    const view = kind === OBJECT ? member.view : undefined;
    let score = 0;
    if (view !== undefined) {
      const record = value as Record<string, unknown>;
      for (const key of view.required) if (!Object.hasOwn(record, key)) score += 1_000;
      if (view.extra === undefined) for (const key of Object.keys(record)) if (!view.properties.has(key)) score++;
    }
    if (best === undefined || score < best.score) best = { index: i, score };
  }
  return { index: best!.index, member: members[best!.index]! };
}

function selfReference(walk: Walk): void {
  walk.issue("too_deep", `unions and intersections nest ${MAX_COMPOSING} deep here without reaching into the value; not checked further`);
}

function better(a: Attempt, b: Attempt): boolean {
  return a.issueCount !== b.issueCount ? a.issueCount < b.issueCount : a.unknown.length < b.unknown.length;
}

export function allOfChecker(parts: readonly Checker[], nullable: boolean, self: Checker): Built {
  const objects: ObjectView[] = [];
  const unions: Checker[] = [];
  const others: Checker[] = [];
  let mask = ANY;
  for (const part of flatten(parts)) {
    mask &= part.mask;
    const view = part.view;
    if (view !== undefined) objects.push(view);
    else if (typeof part.node === "object" && "anyOf" in part.node && (part.mask & OBJECT) !== 0) unions.push(part);
    else if (part.mask !== ANY) others.push(part);
  }
  if (nullable) mask |= NULL;
  const expected = describeKinds(mask);
  const whole = objects.length > 0 ? merge(objects) : undefined;
  /** Views pooled with the union members chosen, by the members' indexes. */
  const pooled = new Map<string, ObjectView>();

  return {
    mask,
    ...(whole !== undefined && unions.length === 0 ? { view: whole } : {}),
    check: (value, walk) => {
      if (nullable && value === null) return;
      const kind = kindOf(value);
      if ((kind & mask) === 0) return walk.issue("invalid_type", `expected ${expected}, got ${describeValue(value)}`, self.holdsCritical);
      if (walk.composing >= MAX_COMPOSING) return selfReference(walk);
      walk.composing++;
      checkAll(value, kind, walk);
      walk.composing--;
    },
  };

  function checkAll(value: unknown, kind: number, walk: Walk): void {
    for (const part of others) part.check(value, walk);
    if (kind !== OBJECT) {
      for (const union of unions) union.check(value, walk);
      return;
    }
    if (unions.length === 0) {
      if (whole !== undefined) checkObject(whole, value as Record<string, unknown>, walk);
      return;
    }
    // Each union part adds the keys of its member that fits this value best.
    const chosen = unions.map((union) => chooseObjectMember(union, value, walk));
    const key = chosen.map((c) => c?.index ?? -1).join(",");
    let view = pooled.get(key);
    if (view === undefined) {
      const views = chosen.flatMap((c) => (c?.member.view === undefined ? [] : [c.member.view]));
      pooled.set(key, (view = merge(whole === undefined ? views : [whole, ...views])));
    }
    chosen.forEach((c, i) => {
      if (c === undefined) walk.issue("invalid_union", `expected ${describeKinds(unions[i]!.mask)}, got object`, self.holdsCritical);
      // A member that is no plain object (a nested union, say) is read on its own.
      else if (c.member.view === undefined) c.member.check(value, walk);
    });
    checkObject(view, value as Record<string, unknown>, walk);
  }
}

/** The member of a union part that fits an object value best, tried alone (nothing kept). */
function chooseObjectMember(union: Checker, value: unknown, walk: Walk): Choice | undefined {
  const choice = choose(union.members, value, walk);
  return choice === undefined ? undefined : { index: choice.index, member: choice.member };
}

/** allOf inside allOf, through references: one flat list of parts. */
function flatten(parts: readonly Checker[], depth = 0): Checker[] {
  const out: Checker[] = [];
  for (const part of parts) {
    const node = part.node;
    if (depth < 16 && typeof node === "object" && "allOf" in node && node.nullable !== true) out.push(...flatten(part.members, depth + 1));
    else out.push(part);
  }
  return out;
}

/** One view of several objects: keys declared twice are checked against both. */
function merge(views: readonly ObjectView[]): ObjectView {
  if (views.length === 1) return views[0]!;
  const properties = new Map<string, Property>();
  const required = new Set<string>();
  const extras: Checker[] = [];
  for (const view of views) {
    for (const name of view.required) required.add(name);
    if (view.extra !== undefined) extras.push(view.extra);
    for (const [key, property] of view.properties) {
      const known = properties.get(key);
      properties.set(key, known === undefined ? property : { key, checker: both(known.checker, property.checker), required: known.required || property.required, critical: known.critical || property.critical });
    }
  }
  return new ObjectView(properties, [...required], extras.length === 0 ? undefined : extras.reduce(both));
}

function both(a: Checker, b: Checker): Checker {
  return a === b ? a : new Checker({ allOf: [a.node, b.node] });
}
