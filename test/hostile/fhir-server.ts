/**
 * Helpers for the hostile FHIR server tests (test/hostile/fhir-*.test.ts): bounded waits
 * that tell "resolved", "rejected" and "never settled" apart, typed-error assertions that
 * say what came instead, secret and prototype checks, and raw responses for servers that
 * misbehave on purpose.
 */
import type http from "node:http";
import { afterEach, expect } from "@jest/globals";
import { CarewireError, type LoggerLike, type TelemetryEvent } from "carewire";
import type { FhirClientOptions } from "carewire/fhir";
import { startServer, type Handler, type TestServer } from "../helpers/http-server.js";

/** Generous slack on top of any deadline: the suite must pass on a loaded 2-core machine. */
export const SLACK_MS = 10_000;

/** What the tests configure clients with (paging bounds included). */
export type HostileClientOptions = FhirClientOptions;

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

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const kind = (error as { kind?: unknown }).kind;
    return `${error.name}${typeof kind === "string" ? ` (kind ${kind})` : ""}: ${error.message.slice(0, 300)}${error instanceof CarewireError ? "" : `\n${(error.stack ?? "").split("\n").slice(1, 6).join("\n")}`}`;
  }
  return `a non-Error value: ${String(error).slice(0, 200)}`;
}

/** Asserts a typed CarewireError of one of `kinds` (any kind when none given) and returns it. */
export function expectTyped(error: unknown, ...kinds: string[]): CarewireError {
  if (!(error instanceof CarewireError)) throw new Error(`expected a typed CarewireError${kinds.length ? ` (${kinds.join(" | ")})` : ""}, got ${describeError(error)}`);
  if (kinds.length > 0 && !kinds.includes(error.kind)) throw new Error(`expected an error of kind ${kinds.join(" | ")}, got ${describeError(error)}`);
  return error;
}

/** The iteration ended by throwing a typed error of one of `kinds`. */
export function expectThrewTyped<T>(drained: Drained<T>, ...kinds: string[]): CarewireError {
  if (drained.outcome !== "threw") throw new Error(`expected the iteration to end with a typed error (${kinds.join(" | ") || "any kind"}), it ended "${drained.outcome}" after ${drained.items.length} item(s)`);
  return expectTyped(drained.error, ...kinds);
}

/** A result that must be a typed failure of one of `kinds`. */
export function expectErrorResult(result: { readonly error?: unknown; readonly data?: unknown }, ...kinds: string[]): CarewireError {
  if (result.error === undefined) throw new Error(`expected a typed error (${kinds.join(" | ") || "any kind"}), the call succeeded with ${safeJson(result.data).slice(0, 200)}`);
  return expectTyped(result.error, ...kinds);
}

/** JSON text of anything, never throwing (deep, cyclic or odd values become a marker). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (error) {
    return `[unserializable: ${(error as Error).message}]`;
  }
}

/** Fails naming the secret (by label) that shows up in any of `where`. */
export function expectNoSecrets(where: Record<string, unknown>, secrets: Record<string, string>): void {
  const leaks: string[] = [];
  for (const [place, value] of Object.entries(where)) {
    const text = typeof value === "string" ? value : safeJson(value);
    for (const [label, secret] of Object.entries(secrets)) if (text.includes(secret)) leaks.push(`${label} in ${place}`);
  }
  expect(leaks).toEqual([]);
}

/** Telemetry collector: `onEvent` events and everything a logger is given, in one list. */
export function recorder(): { readonly events: unknown[]; readonly onEvent: (event: TelemetryEvent) => void; readonly logger: LoggerLike } {
  const events: unknown[] = [];
  const log = (object: object, message?: string) => void events.push({ log: object, message });
  return { events, onEvent: (event) => void events.push(event), logger: { debug: log, info: log, warn: log } };
}

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** Object.prototype has exactly the properties it had when the tests started, and nothing answers to polluted names. */
export function expectPrototypeClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
  const probe = {} as Record<string, unknown>;
  expect([probe.polluted, probe.polluted2, probe.isAdmin, probe.code]).toEqual([undefined, undefined, undefined, undefined]);
}

/** Servers started by a test, closed after it (sockets destroyed, so hanging answers end too). */
export function serverPool(): { start(handler?: Handler): Promise<TestServer> } {
  const started: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return {
    async start(handler) {
      const server = await startServer(handler);
      started.push(server);
      return server;
    },
  };
}

export const FHIR_JSON = "application/fhir+json";

/** Exactly these bytes, with this content type (no JSON encoding on the way). */
export function raw(res: http.ServerResponse, status: number, contentType: string | undefined, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...(contentType ? { "content-type": contentType } : {}), ...headers });
  res.end(body);
}

export function fhirJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  raw(res, status, FHIR_JSON, JSON.stringify(body), headers);
}

/** Never answers: the request stays open until the server closes. */
export function hang(): Promise<void> {
  return new Promise<void>(() => undefined);
}

/** Headers (and optionally a first part of the body), then nothing. */
export function stall(res: http.ServerResponse, contentType: string, first = ""): void {
  res.writeHead(200, { "content-type": contentType });
  if (first) res.write(first);
  else res.flushHeaders();
}

/** `{"a":{"a":…}}` or `[[…]]` nested `depth` deep, around `inner`. */
export function nested(depth: number, shape: "object" | "array", inner = "1"): string {
  return shape === "object" ? `${'{"a":'.repeat(depth)}${inner}${"}".repeat(depth)}` : `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
}
