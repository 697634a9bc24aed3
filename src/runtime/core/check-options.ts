/**
 * A client's options checked by name when it is made, and a call's when it is given any.
 * TypeScript refuses a misspelt option, but JavaScript, or options read from a JSON file,
 * would pass `baseURL` by unnoticed: the client would then call the spec's production server
 * instead of the one meant. A name within two letters of an option (or differing only in
 * case) is refused, saying which was meant, at the top and inside `retry`, `pacing`,
 * `breaker` and `cache`; so is `apiKey` (or `token`, `key`), the usual guess for a key, which
 * would be ignored and every call answered 401. Any other name (an app's own field in a
 * shared config object, which TypeScript lets through) is left alone. A `baseUrl` must be a
 * string, and a time or size a positive number: `"500"` or `-1` would bound nothing as meant.
 */
import { CALL_OPTION_NAMES, CLIENT_OPTION_NAMES, POLICY_OPTION_NAMES } from "./option-names.js";

/**
 * Throws a TypeError naming each misspelt option and the one it meant, or when the options
 * are not an object at all; a RangeError for a time or size that is not a positive number.
 */
export function checkClientOptions(options: unknown, factory: string): void {
  if (options === undefined) return;
  if (!isRecord(options)) throw new TypeError(`${factory}: the options must be an object, not ${kindOf(options)}`);
  const misspelt = misspeltNames(options, CLIENT_OPTION_NAMES, "", true);
  for (const [policy, names] of Object.entries(POLICY_OPTION_NAMES)) {
    const nested = options[policy];
    if (isRecord(nested)) misspelt.push(...misspeltNames(nested, names, `${policy}.`));
  }
  if (misspelt.length > 0) throw new TypeError(`${factory}: unknown option${misspelt.length > 1 ? "s" : ""} ${misspelt.join(", ")}`);
  const { baseUrl } = options;
  if (baseUrl !== undefined && typeof baseUrl !== "string") throw new TypeError(`${factory}: baseUrl must be a URL string, not ${kindOf(baseUrl)}`);
  const bad = badBound(options);
  if (bad !== undefined) throw new bad.error(`${factory}: ${bad.message}`);
}

/** What is wrong with a call's options (a misspelt name, a time that is not a positive number), or undefined. */
export function callOptionsProblem(options: unknown): string | undefined {
  if (!isRecord(options)) return `the call options must be an object, not ${kindOf(options)}`;
  const misspelt = misspeltNames(options, CALL_OPTION_NAMES, "");
  if (misspelt.length > 0) return `unknown call option${misspelt.length > 1 ? "s" : ""} ${misspelt.join(", ")}`;
  return badBound(options)?.message;
}

/** Each name that is not an option but nearly one (or, where `keyGuesses`, a guess at an API key), with what was meant. */
function misspeltNames(options: Record<string, unknown>, known: readonly string[], prefix: string, keyGuesses = false): string[] {
  const misspelt: string[] = [];
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const meant = nearest(name, known);
    if (meant !== undefined) misspelt.push(`"${prefix}${name}" (did you mean "${prefix}${meant}"?)`);
    // The usual guess for an API key: it would be ignored, and every call answered 401.
    else if (keyGuesses && API_KEY_NAMES.has(name.toLowerCase().replace(/[-_]/g, ""))) misspelt.push(`"${name}" (an API key goes in \`headers\`, or in \`query\` where the spec puts it in the query string)`);
  }
  return misspelt;
}

/** Times and sizes: positive numbers (Infinity lifts a time bound); redirects a whole number, 0 or more. */
const BOUNDS = ["timeoutMs", "deadlineMs", "maxResponseBytes", "maxRedirects"] as const;

function badBound(options: Record<string, unknown>): { message: string; error: new (message: string) => Error } | undefined {
  for (const name of BOUNDS) {
    const value = options[name];
    if (value === undefined) continue;
    if (typeof value !== "number" || Number.isNaN(value)) return { message: `${name} must be a number, not ${described(value)}`, error: TypeError };
    if (name === "maxRedirects" ? !(Number.isInteger(value) && value >= 0) : !(value > 0)) return { message: `${name} must be ${name === "maxRedirects" ? "a whole number, 0 or more" : "more than 0"}, not ${value}`, error: RangeError };
  }
  return undefined;
}

/** A wrong value, named so the fix is plain: `a string ("500")`. */
function described(value: unknown): string {
  if (typeof value === "number") return "NaN";
  if (typeof value === "string") return `a string (${JSON.stringify(value.slice(0, 40))})`;
  return kindOf(value);
}

/** What a value is, for "must be an object, not …": null and arrays named as such. */
function kindOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const API_KEY_NAMES: ReadonlySet<string> = new Set(["apikey", "key", "token", "accesstoken", "bearer"]);

/** The option a misspelt name most likely meant: the same but for case, or two edits away at most (one for a short name). */
function nearest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const allowed = lower.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const option of known) {
    const distance = editDistance(lower, option.toLowerCase());
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name: option, distance };
  }
  return best?.name;
}

/** Levenshtein distance, for names of a few dozen characters. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
