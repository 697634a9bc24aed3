/**
 * A client's options checked by name when it is made. TypeScript refuses a misspelt option,
 * but JavaScript, or options read from a JSON file, would pass `baseURL` by unnoticed: the
 * client would then call the spec's production server instead of the one meant. A name
 * within two letters of an option (or differing only in case) is refused, saying which was
 * meant; so is `apiKey` (or `token`, `key`), the usual guess for a key, which would be
 * ignored and every call answered 401. Any other name (an app's own field in a shared config
 * object, which TypeScript lets through) is left alone. A `baseUrl` must be a string. The list of names is checked against
 * `ClientOptions` by the compiler, so it cannot fall behind.
 */
import type { ClientOptions } from "./options.js";

/** Every option a generated client takes, by name. */
const CLIENT_OPTION_NAMES = [
  "onEvent",
  "logger",
  "headers",
  "timeoutMs",
  "deadlineMs",
  "maxResponseBytes",
  "baseUrl",
  "maxRedirects",
  "policies",
  "resilience",
  "classify",
  "retry",
  "pacing",
  "breaker",
  "cache",
  "auth",
  "query",
  "correlationHeader",
  "fetch",
  "requestIdFactory",
  "store",
  "tenant",
  "openTelemetry",
  "clock",
  "random",
] as const satisfies ReadonlyArray<keyof ClientOptions>;

// Fails to compile when ClientOptions gains an option the list above lacks.
type Unlisted = Exclude<keyof ClientOptions, (typeof CLIENT_OPTION_NAMES)[number]>;
const everyOptionListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOptionListed;

const KNOWN: ReadonlySet<string> = new Set(CLIENT_OPTION_NAMES);

/**
 * Throws a TypeError naming each misspelt option and the one it meant, or when the options
 * are not an object at all.
 */
export function checkClientOptions(options: unknown, factory: string): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw new TypeError(`${factory}: the options must be an object, not ${options === null ? "null" : Array.isArray(options) ? "an array" : typeof options}`);
  const misspelt: string[] = [];
  for (const name of Object.keys(options)) {
    if (KNOWN.has(name)) continue;
    const meant = nearest(name);
    if (meant !== undefined) misspelt.push(`"${name}" (did you mean "${meant}"?)`);
    // The usual guess for an API key: it would be ignored, and every call answered 401.
    else if (API_KEY_NAMES.has(name.toLowerCase().replace(/[-_]/g, ""))) misspelt.push(`"${name}" (an API key goes in \`headers\`, or in \`query\` where the spec puts it in the query string)`);
  }
  if (misspelt.length > 0) throw new TypeError(`${factory}: unknown option${misspelt.length > 1 ? "s" : ""} ${misspelt.join(", ")}`);
  const { baseUrl } = options as { baseUrl?: unknown };
  if (baseUrl !== undefined && typeof baseUrl !== "string") throw new TypeError(`${factory}: baseUrl must be a URL string, not ${baseUrl === null ? "null" : typeof baseUrl}`);
}

const API_KEY_NAMES: ReadonlySet<string> = new Set(["apikey", "key", "token", "accesstoken", "bearer"]);

/** The option a misspelt name most likely meant: the same but for case, or two edits away at most (one for a short name). */
function nearest(name: string): string | undefined {
  const lower = name.toLowerCase();
  const allowed = lower.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const known of CLIENT_OPTION_NAMES) {
    const distance = editDistance(lower, known.toLowerCase());
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name: known, distance };
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
