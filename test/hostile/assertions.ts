/**
 * Shared pieces of the hostile-server suite: a clinic client wired with small bounds and
 * capturing telemetry and logs, a race that turns a hang into a failure (never a lower time
 * bound), and the checks every case repeats: the outcome's kind, and no secret anywhere a
 * caller, a log pipeline or another origin could see it.
 */
import { expect } from "@jest/globals";
import * as carewire from "carewire";
import { CarewireError, type ClientOptions, type LoggerLike, type TelemetryEvent } from "carewire";
import { createClinicClient, type ClinicClient } from "../../generated/clinic/index.js";
import { json, type Behaviour, type HostileServer } from "../helpers/hostile-server.js";

// Secrets are plain [A-Za-z0-9-] so that URL or form encoding cannot disguise a leak.
export const API_KEY = "apikey-SECRET-7b1e40c2";
export const CLIENT_ID = "hostile-client";
export const CLIENT_SECRET = "clientsecret-SECRET-93ad11";
export const TOKEN = "accesstoken-SECRET-5c2f88";
export const PHI_ID = "pat-PHI-Ruthven-4471";
export const SECRETS = [API_KEY, CLIENT_SECRET, TOKEN, PHI_ID];

/** Generous room over a deadline so a loaded 2-core machine never flakes. */
export const SLACK_MS = 10_000;

/** Options the contract adds (maxResponseBytes, maxRedirects); typed here so the suite compiles before and after. */
export interface HardeningOptions {
  readonly maxResponseBytes?: number;
  readonly maxRedirects?: number;
}

export interface Rig {
  readonly client: ClinicClient;
  readonly events: TelemetryEvent[];
  readonly logs: string[];
  readonly deadlineMs: number;
}

export interface RigOptions extends Omit<ClientOptions, "auth">, HardeningOptions {
  /** Client credentials against `/oauth/token` on the same server (or `tokenUrl`). */
  readonly auth?: boolean | { readonly tokenUrl: string };
}

/** A clinic client with small bounds, X-Api-Key, captured telemetry and a pino-like logger. */
export function rig(server: HostileServer, options: RigOptions = {}): Rig {
  const events: TelemetryEvent[] = [];
  const logs: string[] = [];
  const record = (level: string) => (object: object, message?: string) => void logs.push(`${level} ${message ?? ""} ${JSON.stringify(object)}`);
  const logger: LoggerLike = { debug: record("debug"), info: record("info"), warn: record("warn") };
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
    onEvent: (event: TelemetryEvent) => void events.push(event),
    logger,
    ...(auth ? { auth: { tokenUrl: auth === true ? "/oauth/token" : auth.tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } } : {}),
    ...rest,
  } as ClientOptions;
  return { client: createClinicClient(clientOptions), events, logs, deadlineMs };
}

/** Resolves with the call's result; fails if it rejects or is still pending at deadline + slack. */
export async function settle<T>(promise: Promise<T>, deadlineMs: number, slackMs = SLACK_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ value }) as const,
      (rejection: unknown) => ({ rejection }) as const,
    ),
    new Promise<{ readonly hang: true }>((resolve) => {
      timer = setTimeout(() => resolve({ hang: true }), deadlineMs + slackMs);
    }),
  ]);
  clearTimeout(timer);
  if ("hang" in outcome) throw new Error(`HANG: the call did not settle within its deadline (${deadlineMs} ms) + ${slackMs} ms`);
  if ("rejection" in outcome) throw new Error(`REJECTED: the call rejected instead of resolving: ${String(outcome.rejection)}`);
  return outcome.value;
}

interface AnyResult {
  readonly data?: unknown;
  readonly error?: unknown;
  readonly meta: unknown;
}

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

/** The result's error, asserted to be a CarewireError of one of `kinds`. */
export function failure(result: AnyResult, ...kinds: string[]): SeenError {
  const error = result.error;
  if (error === undefined) throw new Error(`expected an error of kind ${kinds.join(" | ")}, got data: ${preview(result.data)}`);
  expect(error).toBeInstanceOf(CarewireError);
  const kind = (error as CarewireError).kind;
  if (!kinds.includes(kind)) throw new Error(`expected kind ${kinds.join(" | ")}, got "${kind}": ${(error as Error).message}`);
  return error as SeenError;
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Every surface a secret must never reach. */
export interface Surfaces {
  readonly result?: AnyResult;
  readonly results?: readonly AnyResult[];
  readonly events?: readonly TelemetryEvent[];
  readonly logs?: readonly string[];
  /** Origins that must not have received any secret (a redirect target). */
  readonly foreign?: readonly HostileServer[];
}

export function expectNoSecrets(surfaces: Surfaces, secrets: readonly string[] = SECRETS): void {
  const texts: Array<[string, string]> = [];
  for (const result of [...(surfaces.result ? [surfaces.result] : []), ...(surfaces.results ?? [])]) {
    texts.push(["JSON.stringify(meta)", JSON.stringify(result.meta)]);
    if (result.error instanceof Error) {
      texts.push(["error.message", result.error.message]);
      texts.push(["JSON.stringify(error.meta)", JSON.stringify((result.error as CarewireError).meta) ?? ""]);
    }
  }
  if (surfaces.events) texts.push(["telemetry events", JSON.stringify(surfaces.events)]);
  if (surfaces.logs) texts.push(["logger output", surfaces.logs.join("\n")]);
  for (const server of surfaces.foreign ?? []) texts.push([`requests received by ${server.origin}`, JSON.stringify(server.requests)]);
  for (const [where, text] of texts) {
    for (const secret of secrets) {
      if (text.includes(secret)) throw new Error(`secret "${secret}" leaked into ${where}: ${text.slice(Math.max(0, text.indexOf(secret) - 120), text.indexOf(secret) + 120)}`);
    }
  }
}

/** Nothing at all reached this origin: no connection, no request. */
export function expectUntouched(server: HostileServer): void {
  expect({ connections: server.connections, requests: server.requests.map((r) => `${r.method} ${r.url}`) }).toEqual({ connections: 0, requests: [] });
}

const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

export function expectPrototypeClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_KEYS);
  const probe: Record<string, unknown> = {};
  expect([probe.polluted, probe.isAdmin, probe.hostile]).toEqual([undefined, undefined, undefined]);
}

/** Exports the contract adds to `carewire`, read dynamically so the suite compiles before they land. */
export function exported(name: string): unknown {
  return (carewire as Record<string, unknown>)[name];
}

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
  return settle(r.client.getPatient({ params: { path: { patientId: PHI_ID } } }, { deadlineMs }), deadlineMs);
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
