/**
 * Strings a schema's `pattern` accepts, for sampled bodies and for the ids the simulator
 * hands out. Generation is fast-check's regex arbitrary, drawn with a fixed seed: the same
 * spec gives the same bodies on every run, so tests against the simulator never flake.
 */
import { sample, stringMatching } from "fast-check";

const cache = new Map<string, string | null>();

export interface StringBounds {
  readonly minLength?: number;
  readonly maxLength?: number;
}

/**
 * A string matching `pattern` within the length bounds, or undefined when the pattern uses
 * what the generator cannot do (back-references, look-arounds) or no draw fits the bounds.
 * `seed` varies the draw (ids need distinct values); the default gives the shortest match found.
 */
export function stringForPattern(pattern: string, bounds: StringBounds = {}, seed = 0): string | undefined {
  const key = `${seed}\u0000${bounds.minLength ?? ""}\u0000${bounds.maxLength ?? ""}\u0000${pattern}`;
  if (cache.has(key)) return cache.get(key) ?? undefined;
  const found = draw(pattern, bounds, seed);
  cache.set(key, found ?? null);
  return found;
}

function draw(pattern: string, bounds: StringBounds, seed: number): string | undefined {
  const target = compile(pattern);
  if (!target) return undefined;
  // An unanchored pattern lets the generator pad both ends with noise; anchoring it gives
  // a clean value that the original pattern still accepts.
  const sources = [`^(?:${stripAnchors(pattern)})$`, pattern];
  const fits = (s: string) => target.test(s) && s.length >= (bounds.minLength ?? 0) && s.length <= (bounds.maxLength ?? Infinity);
  for (const source of sources) {
    const regex = compile(source);
    if (!regex) continue;
    let draws: string[];
    try {
      draws = sample(stringMatching(regex), { seed: 1 + seed, numRuns: seed === 0 ? 40 : 1 + 20 });
    } catch {
      continue;
    }
    const ok = draws.filter(fits);
    if (ok.length === 0) continue;
    // Seed 0 is the body sample: the shortest fit reads best. Ids take the first fit of their own seed.
    return seed === 0 ? ok.reduce((a, b) => (b.length < a.length ? b : a)) : ok[0];
  }
  return undefined;
}

function compile(source: string): RegExp | undefined {
  for (const flags of ["u", ""]) {
    try {
      return new RegExp(source, flags);
    } catch {
      // try without the unicode flag: some specs write escapes only the legacy syntax allows
    }
  }
  return undefined;
}

function stripAnchors(pattern: string): string {
  let p = pattern.startsWith("^") ? pattern.slice(1) : pattern;
  if (p.endsWith("$") && !p.endsWith("\\$")) p = p.slice(0, -1);
  return p;
}
