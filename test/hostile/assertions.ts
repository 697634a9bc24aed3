/**
 * What every hostile-server case checks, for the clinic and the FHIR clients alike: waits
 * that turn a hang into a failure (an upper bound only, never a lower one), the outcome's
 * typed error, no secret anywhere a caller, a log pipeline or another origin could see it,
 * and Object.prototype untouched. Also the clinic client wired with small bounds and its
 * telemetry captured, and fresh hostile servers for every test.
 */
import { afterEach, beforeEach, expect } from "@jest/globals";
import { CarewireError, type ClientOptions, type LoggerLike, type TelemetryEvent } from "carewire";
import { createClinicClient, type ClinicClient } from "../../generated/clinic/index.js";
import { json, startHostileServer, type Behaviour, type HostileServer } from "../helpers/hostile-server.js";

/** Generous room over a deadline so a loaded 2-core machine never flakes. */
export const SLACK_MS = 10_000;

/** How long a call with no deadline at all may take before the test calls it hung. */
export const HANG_GUARD_MS = 20_000;

/**
 * No attempt timeout and no deadline: for cases whose outcome is decided by something other
 * than time (a size cap, say), so that no timer races it on a slow machine. The test's wait
 * (HANG_GUARD_MS) still turns a hang into a failure.
 */
export const UNTIMED = { timeoutMs: Infinity, deadlineMs: Infinity } as const;

// ---------------------------------------------------------------------------------------------
// Bounded waits
// ---------------------------------------------------------------------------------------------

export type Settled<T> = { readonly state: "resolved"; readonly value: T } | { readonly state: "rejected"; readonly error: unknown } | { readonly state: "hung" };

/** How `promise` settled within `withinMs` (never waits longer). */
export async function settle<T>(promise: Promise<T>, withinMs: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ state: "hung" }), withinMs);
  });
  try {
    return await Promise.race([promise.then((value): Settled<T> => ({ state: "resolved", value }), (error: unknown): Settled<T> => ({ state: "rejected", error })), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** The value of a promise that must RESOLVE within `withinMs`; fails the test with what happened instead. */
export async function resolvesWithin<T>(promise: Promise<T>, withinMs: number): Promise<T> {
  const settled = await settle(promise, withinMs);
  if (settled.state === "rejected") throw new Error(`expected the call to resolve (a result, never a rejection), it rejected with ${describeError(settled.error)}`);
  if (settled.state === "hung") throw new Error(`expected the call to resolve within ${withinMs} ms, it had not settled`);
  return settled.value;
}

/** A call's result: it must resolve, by its deadline plus SLACK_MS (or within HANG_GUARD_MS when it has none). */
export function byDeadline<T>(promise: Promise<T>, deadlineMs: number): Promise<T> {
  return resolvesWithin(promise, Number.isFinite(deadlineMs) ? deadlineMs + SLACK_MS : HANG_GUARD_MS);
}

export interface Drained<T> {
  readonly items: T[];
  /** done: iteration ended normally; threw: it ended with `error`; hung: no end within the bound; overflow: more than maxItems. */
  readonly outcome: "done" | "threw" | "hung" | "overflow";
  readonly error?: unknown;
}

/** Iterates an async generator to its end within `withinMs` overall, collecting what it yields. */
export async function drain<T>(generator: AsyncGenerator<T, void, undefined>, withinMs: number, maxItems = 100_000): Promise<Drained<T>> {
  const until = Date.now() + withinMs;
  const items: T[] = [];
  for (;;) {
    const step = await settle(generator.next(), Math.max(1, until - Date.now()));
    if (step.state === "hung") {
      void generator.return(undefined).catch(() => undefined);
      return { items, outcome: "hung" };
    }
    if (step.state === "rejected") return { items, outcome: "threw", error: step.error };
    if (step.value.done) return { items, outcome: "done" };
    items.push(step.value.value);
    if (items.length > maxItems) {
      void generator.return(undefined).catch(() => undefined);
      return { items, outcome: "overflow" };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Typed errors
// ---------------------------------------------------------------------------------------------

/** What a failed result's error looks like to these tests (fields of several subclasses). */
export interface SeenError extends CarewireError {
  readonly limit?: string;
  readonly max?: number;
  readonly phase?: string;
  readonly status?: number;
  readonly url?: string;
  readonly expectedOrigin?: string;
  readonly lastStatus?: number;
  readonly idempotencyKey?: string;
  readonly data?: unknown;
  readonly bodyPreview?: string;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const kind = (error as { kind?: unknown }).kind;
    return `${error.name}${typeof kind === "string" ? ` (kind ${kind})` : ""}: ${error.message.slice(0, 300)}${error instanceof CarewireError ? "" : `\n${(error.stack ?? "").split("\n").slice(1, 6).join("\n")}`}`;
  }
  return `a non-Error value: ${String(error).slice(0, 200)}`;
}

/** Asserts a typed CarewireError of one of `kinds` (any kind when none given) and returns it. */
export function expectTyped(error: unknown, ...kinds: string[]): SeenError {
  if (!(error instanceof CarewireError)) throw new Error(`expected a typed CarewireError${kinds.length ? ` (${kinds.join(" | ")})` : ""}, got ${describeError(error)}`);
  if (kinds.length > 0 && !kinds.includes(error.kind)) throw new Error(`expected an error of kind ${kinds.join(" | ")}, got ${describeError(error)}`);
  return error as SeenError;
}

/** A result that must be a typed failure of one of `kinds` (any kind when none given); returns its error. */
export function failure(result: { readonly error?: unknown; readonly data?: unknown }, ...kinds: string[]): SeenError {
  if (result.error === undefined) throw new Error(`expected a typed error (${kinds.join(" | ") || "any kind"}), the call succeeded with ${safeJson(result.data).slice(0, 200)}`);
  return expectTyped(result.error, ...kinds);
}

/** The iteration ended by throwing a typed error of one of `kinds`. */
export function expectThrewTyped<T>(drained: Drained<T>, ...kinds: string[]): SeenError {
  if (drained.outcome !== "threw") throw new Error(`expected the iteration to end with a typed error (${kinds.join(" | ") || "any kind"}), it ended "${drained.outcome}" after ${drained.items.length} item(s)`);
  return expectTyped(drained.error, ...kinds);
}

// ---------------------------------------------------------------------------------------------
// Leaks
// ---------------------------------------------------------------------------------------------

// Secrets are plain [A-Za-z0-9-] so that URL, form or JSON encoding cannot disguise a leak.
export const API_KEY = "apikey-SECRET-7b1e40c2";
export const CLIENT_ID = "hostile-client";
export const CLIENT_SECRET = "clientsecret-SECRET-93ad11";
export const TOKEN = "accesstoken-SECRET-5c2f88";
export const PHI_ID = "pat-PHI-Ruthven-4471";
/** What the clinic cases must never leak, by name. */
export const SECRETS: Readonly<Record<string, string>> = { apiKey: API_KEY, clientSecret: CLIENT_SECRET, token: TOKEN, phi: PHI_ID };

/** JSON text of anything, never throwing (deep, cyclic or odd values become a marker). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (error) {
    return `[unserializable: ${(error as Error).message}]`;
  }
}

/** Fails naming each secret (by label) that shows up in any place of `where` (strings as they are, anything else as JSON). */
export function expectNoSecrets(where: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, string>> = SECRETS): void {
  const leaks: string[] = [];
  for (const [place, value] of Object.entries(where)) {
    const text = typeof value === "string" ? value : safeJson(value);
    for (const [label, secret] of Object.entries(secrets)) {
      const at = text.indexOf(secret);
      if (at >= 0) leaks.push(`${label} in ${place}: …${text.slice(Math.max(0, at - 120), at + secret.length + 120)}…`);
    }
  }
  expect(leaks).toEqual([]);
}

/** What every call resolves to, as far as these checks look. */
export interface AnyResult {
  readonly data?: unknown;
  readonly error?: unknown;
  readonly meta: unknown;
}

/** Everything a caller and a log pipeline see of a rig's calls: meta, error message and error meta of each result, telemetry and log lines. */
export function seenBy(r: Rig, ...results: readonly AnyResult[]): Record<string, unknown> {
  const where: Record<string, unknown> = { "telemetry events and logger output": r.recorded };
  results.forEach((result, i) => {
    where[`result ${i}: meta`] = result.meta;
    if (result.error instanceof Error) {
      where[`result ${i}: error.message`] = result.error.message;
      where[`result ${i}: error.meta`] = (result.error as CarewireError).meta;
    }
  });
  return where;
}

/** Every request another origin received (a redirect target, say), as a place secrets must not reach. */
export function receivedBy(server: HostileServer): Record<string, unknown> {
  return { [`requests received by ${server.origin}`]: server.requests };
}

/** Nothing at all reached this origin: no connection, no request. */
export function expectUntouched(server: HostileServer): void {
  expect({ connections: server.connections, requests: server.requests.map((r) => `${r.method} ${r.url}`) }).toEqual({ connections: 0, requests: [] });
}

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** Object.prototype has exactly the properties it had when the tests started, and nothing answers to the names hostile bodies try to plant. */
export function expectPrototypeClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
  const probe = {} as Record<string, unknown>;
  expect([probe.polluted, probe.polluted2, probe.isAdmin, probe.hostile, probe.code]).toEqual([undefined, undefined, undefined, undefined, undefined]);
}

/** Telemetry collector: `onEvent` events and everything a logger is given, in one list. */
export function recorder(): { readonly events: unknown[]; readonly onEvent: (event: TelemetryEvent) => void; readonly logger: LoggerLike } {
  const events: unknown[] = [];
  const log = (object: object, message?: string) => void events.push({ log: object, message });
  return { events, onEvent: (event) => void events.push(event), logger: { debug: log, info: log, warn: log } };
}

// ---------------------------------------------------------------------------------------------
// The clinic client against hostile servers
// ---------------------------------------------------------------------------------------------

/**
 * Two hostile servers for every test: the first plays the API, the second another origin
 * (which must stay untouched where a case says so). Both are closed after the test, then
 * Object.prototype is checked.
 */
export function hostilePair(use: (api: HostileServer, other: HostileServer) => void): void {
  let servers: HostileServer[] = [];
  beforeEach(async () => {
    servers = await Promise.all([startHostileServer(), startHostileServer()]);
    use(servers[0]!, servers[1]!);
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    expectPrototypeClean();
  });
}

export interface Rig {
  readonly client: ClinicClient;
  /** Telemetry events and logger calls, in order. */
  readonly recorded: unknown[];
  readonly deadlineMs: number;
}

export interface RigOptions extends Omit<ClientOptions, "auth"> {
  /** Client credentials against `/oauth/token` on the same server (or `tokenUrl`). */
  readonly auth?: boolean | { readonly tokenUrl: string };
}

/** A clinic client with small bounds, X-Api-Key, and its telemetry and logs recorded. */
export function rig(server: HostileServer, options: RigOptions = {}): Rig {
  const recording = recorder();
  const { auth, ...rest } = options;
  const deadlineMs = options.deadlineMs ?? 2500;
  const clientOptions = {
    baseUrl: server.url,
    timeoutMs: 600,
    deadlineMs,
    headers: { "X-Api-Key": API_KEY },
    pacing: { limit: Infinity },
    retry: { maxAttempts: 2, backoff: { baseMs: 10, capMs: 40 }, budget: false },
    breaker: false,
    cache: false,
    onEvent: recording.onEvent,
    logger: recording.logger,
    ...(auth ? { auth: { tokenUrl: auth === true ? "/oauth/token" : auth.tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } } : {}),
    ...rest,
  } as ClientOptions;
  return { client: createClinicClient(clientOptions), recorded: recording.events, deadlineMs };
}

export const TOKEN_ROUTE = "POST /oauth/token";

/** A rig with client credentials against the server's own token endpoint. */
export function authed(server: HostileServer, options: RigOptions = {}): Rig {
  return rig(server, { auth: true, ...options });
}

/** Requests that reached the clinic API (not the token endpoint). */
export const apiCalls = (server: HostileServer) => server.requests.filter((q) => q.url.startsWith("/patients"));
export const tokenCalls = (server: HostileServer) => server.requests.filter((q) => q.url.startsWith("/oauth/token"));

/** A clinic Patient the spec accepts. */
export function patient(id = "pat_01J8ZK4W7Q"): Record<string, unknown> {
  return { id, identifier: "MRN-0042-TEST", givenName: "Juniper", familyName: "Quillfeather", birthDate: "1987-04-12", gender: "female", active: true, updatedAt: "2030-01-15T10:24:00Z" };
}

export const newPatient = { identifier: "MRN-0042-TEST", givenName: "Juniper", familyName: "Quillfeather", birthDate: "1987-04-12" };

/** The clinic API behind a bearer token: the patient for the right token, 401 otherwise. */
export function bearerApi(accept = TOKEN): Behaviour {
  return (hit) => (hit.req.headers.authorization === `Bearer ${accept}` ? json(200, patient())(hit) : json(401, { type: "about:blank", title: "Unauthorized", status: 401 }, { "www-authenticate": "Bearer" })(hit));
}

/** getPatient with the PHI id, settled within `deadlineMs` (+ slack). */
export function readPatient(r: Rig, deadlineMs = r.deadlineMs) {
  return byDeadline(r.client.getPatient({ params: { path: { patientId: PHI_ID } } }, { deadlineMs }), deadlineMs);
}

/** Calls until one succeeds; every call must settle. Fails listing every outcome seen. */
export async function eventuallySucceeds(r: Rig, budgetMs: number, deadlineMs = r.deadlineMs) {
  const until = Date.now() + budgetMs;
  const seen: string[] = [];
  while (Date.now() < until) {
    const result = await readPatient(r, deadlineMs);
    if (result.error === undefined) return result;
    seen.push(`${result.error.kind}: ${result.error.message}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no call succeeded within ${budgetMs} ms after the token endpoint recovered; outcomes: ${seen.join(" | ")}`);
}
