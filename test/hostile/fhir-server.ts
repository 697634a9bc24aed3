/**
 * The server side of the hostile FHIR cases (test/hostile/fhir-*.test.ts): plain node:http
 * servers a test scripts, closed after it, and the raw answers they give (exact bytes,
 * headers then silence, never a word, bodies nested 100,000 deep); and the FHIR client
 * every case points at them, with small bounds and quick retries.
 */
import type http from "node:http";
import { afterEach } from "@jest/globals";
import type { FhirClientOptions } from "carewire/fhir";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { startServer, type Handler, type TestServer } from "../helpers/http-server.js";

/** What the tests configure clients with (paging bounds included). */
export type HostileClientOptions = FhirClientOptions;

/** The generated FHIR R4 client for `baseUrl`: no pacing, 2 s attempts, a 5 s deadline, retries 1–5 ms apart; `options` adds or overrides. */
export function fhirClient(baseUrl: string, options: HostileClientOptions = {}) {
  return createFhirR4Client({ baseUrl, pacing: { limit: Infinity }, timeoutMs: 2_000, deadlineMs: 5_000, retry: { backoff: { baseMs: 1, capMs: 5 } }, ...options });
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
