import { beforeEach, describe, expect, it } from "@jest/globals";
import type http from "node:http";
import { type OperationDescriptor, type OperationSchemas, type RetryOptions, type TelemetryEvent } from "carewire";
import { tolerantObject, z } from "carewire/zod";
import { FakeClock } from "carewire/testing";
import { json, type RecordedRequest } from "../helpers/http-server.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile } from "../helpers/pipeline.js";

const operation = (overrides: Partial<OperationDescriptor> = {}) => testOperation({ security: "required", ...overrides });

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string() }) } };
const SECRET = "s3cr3t-do-not-leak";
const CLIENT_ID = "carewire-test-client";

function input(id: string | number) {
  return { params: { path: { thingId: String(id) } } };
}

/**
 * A token server plus an API on one origin. `tokenResponder` answers /oauth/token (the
 * default issues `tok-1`, `tok-2`, … valid for `expiresIn` s); the API accepts the
 * tokens in `accepted` (by default only the latest issued).
 */
interface Fixture {
  tokenRequests: RecordedRequest[];
  apiRequests: RecordedRequest[];
  issued: string[];
  expiresIn: number;
  tokenResponder?: (req: RecordedRequest, res: http.ServerResponse, n: number) => void;
  apiResponder?: (req: RecordedRequest, res: http.ServerResponse) => void;
}

let fixture: Fixture;

function issue(res: http.ServerResponse): string {
  const token = `tok-${fixture.issued.length + 1}`;
  fixture.issued.push(token);
  json(res, 200, { access_token: token, token_type: "Bearer", expires_in: fixture.expiresIn });
  return token;
}

function authorized(req: RecordedRequest): boolean {
  return req.headers.authorization === `Bearer ${fixture.issued.at(-1)}`;
}

const credentials = { tokenUrl: "/oauth/token", clientId: CLIENT_ID, clientSecret: SECRET };

/** A pipeline with only auth on (and retry, when given). */
function authed(clock: FakeClock, options: { retry?: RetryOptions | false; events?: TelemetryEvent[] } = {}) {
  return pipelineWith(server.url, {
    retry: options.retry ?? false,
    auth: credentials,
    clock,
    ...(options.events ? { onEvent: (e: TelemetryEvent) => void options.events!.push(e) } : {}),
  });
}

const server = serverForFile((req, res) => {
  if (req.url === "/oauth/token") {
    fixture.tokenRequests.push(req);
    const n = fixture.tokenRequests.length;
    if (fixture.tokenResponder) fixture.tokenResponder(req, res, n);
    else issue(res);
    return;
  }
  fixture.apiRequests.push(req);
  if (fixture.apiResponder) fixture.apiResponder(req, res);
  else if (authorized(req)) json(res, 200, { id: req.url.split("/").pop() ?? "" });
  else json(res, 401, { title: "bad token" });
});
beforeEach(() => {
  fixture = { tokenRequests: [], apiRequests: [], issued: [], expiresIn: 3600 };
});

describe("OAuth client credentials", () => {
  it("fetches the token with the client credentials and sends it as a Bearer token", async () => {
    const pipeline = authed(new FakeClock());
    const result = await pipeline.call(operation(), schemas, input(1));

    expect(result.data).toEqual({ id: "1" });
    expect(fixture.tokenRequests).toHaveLength(1);
    const form = new URLSearchParams(fixture.tokenRequests[0]!.body);
    expect(fixture.tokenRequests[0]!.method).toBe("POST");
    expect(Object.fromEntries(form)).toMatchObject({ grant_type: "client_credentials", client_id: CLIENT_ID, client_secret: SECRET });
    expect(fixture.apiRequests[0]!.headers.authorization).toBe("Bearer tok-1");
    expect(JSON.stringify(result.meta)).not.toContain("tok-1");
  });

  it("shares one token request among 20 concurrent calls (single flight)", async () => {
    fixture.tokenResponder = (_req, res) => void setTimeout(() => issue(res), 30);
    const pipeline = authed(new FakeClock());

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pipeline.call(operation(), schemas, input(i))));

    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(fixture.tokenRequests).toHaveLength(1);
    expect(fixture.apiRequests).toHaveLength(20);
    expect(fixture.apiRequests.every((r) => r.headers.authorization === "Bearer tok-1")).toBe(true);
  });

  it("refreshes a token shortly before it expires, not after", async () => {
    fixture.expiresIn = 60; // refreshed 30 s before expiry by default
    const clock = new FakeClock();
    const pipeline = authed(clock);

    await pipeline.call(operation(), schemas, input(1));
    await clock.advance(29_000);
    await pipeline.call(operation(), schemas, input(2));
    expect(fixture.tokenRequests).toHaveLength(1);

    await clock.advance(1_000); // 30 s before expiry
    const refreshed = await pipeline.call(operation(), schemas, input(3));

    expect(refreshed.error).toBeUndefined();
    expect(fixture.tokenRequests).toHaveLength(2);
    expect(fixture.apiRequests.map((r) => r.headers.authorization)).toEqual(["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
    // The refreshed call needed one attempt: it never met a 401.
    expect(refreshed.meta.attempts.map((a) => a.status)).toEqual([200]);
  });

  it("uses a token that lives less than the refresh margin for half its life, not one call", async () => {
    fixture.expiresIn = 20; // shorter than the 30 s margin
    const clock = new FakeClock();
    const pipeline = authed(clock);

    for (let i = 0; i < 5; i++) {
      await pipeline.call(operation(), schemas, input(i));
      await clock.advance(1_000);
    }
    expect(fixture.tokenRequests).toHaveLength(1);
    await clock.advance(6_000); // 11 s in: past half of 20 s
    await pipeline.call(operation(), schemas, input(9));
    expect(fixture.tokenRequests).toHaveLength(2);
  });

  it("shares one token request without tying it to the first caller's signal", async () => {
    fixture.tokenResponder = (_req, res) => void setTimeout(() => issue(res), 100);
    const clock = new FakeClock();
    const pipeline = authed(clock);
    const controller = new AbortController();
    const a = pipeline.call(operation(), schemas, input(1), { signal: controller.signal });
    const b = pipeline.call(operation(), schemas, input(2));
    await new Promise((r) => setTimeout(r, 20));
    controller.abort(new Error("user left"));
    expect((await a).error).toMatchObject({ kind: "aborted" });
    expect((await b).error).toBeUndefined();
    expect(fixture.tokenRequests).toHaveLength(1);
  });

  it("does not follow a redirect from the token endpoint: the secret is never posted anywhere else", async () => {
    fixture.tokenResponder = (_req, res) => void res.writeHead(307, { location: `${server.url}/elsewhere/token` }).end();
    const result = await authed(new FakeClock({ autoAdvance: true })).call(operation(), schemas, input(1));
    expect(result.error).toMatchObject({ kind: "auth-failed" });
    expect(fixture.apiRequests.filter((r) => r.url.startsWith("/elsewhere"))).toEqual([]);
  });

  it("on a 401 refreshes the token once and sends the call once more", async () => {
    let rejected = false;
    fixture.apiResponder = (req, res) => {
      if (!rejected) {
        rejected = true; // the server revoked tok-1
        return json(res, 401, { title: "token revoked" });
      }
      if (authorized(req)) json(res, 200, { id: "after-refresh" });
      else json(res, 401, { title: "bad token" });
    };
    const pipeline = authed(new FakeClock());

    const result = await pipeline.call(operation(), schemas, input(1));

    expect(result.data).toEqual({ id: "after-refresh" });
    expect(fixture.tokenRequests).toHaveLength(2);
    expect(fixture.apiRequests.map((r) => r.headers.authorization)).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(result.meta.attempts.map((a) => a.status)).toEqual([401, 200]);
    expect(JSON.stringify(result.meta)).not.toMatch(/tok-\d/);
  });

  it("refreshes once for many concurrent calls that meet a 401 together", async () => {
    const pipeline = authed(new FakeClock());
    expect((await pipeline.call(operation(), schemas, input("warm-up"))).error).toBeUndefined();
    let revoked = true; // the server revoked tok-1; it answers 401 until a new token arrives
    fixture.tokenResponder = (_req, res) => void setTimeout(() => {
      revoked = false;
      issue(res);
    }, 30);
    fixture.apiResponder = (req, res) => (!revoked && authorized(req) ? json(res, 200, { id: "ok" }) : json(res, 401, { title: "revoked" }));

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => pipeline.call(operation(), schemas, input(i))));

    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(fixture.tokenRequests).toHaveLength(2);
    expect(fixture.apiRequests.slice(1).filter((r) => r.headers.authorization === "Bearer tok-2")).toHaveLength(10);
  });

  it("paces the token request with the calls: it counts against the client's quota", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const start = clock.now();
    const pipeline = pipelineWith(server.url, { pacing: { limit: 2, windowMs: 1_000, safetyMarginMs: 0 }, auth: credentials, clock });

    const first = await pipeline.call(operation(), schemas, input(1));
    const second = await pipeline.call(operation(), schemas, input(2));

    expect([first.error, second.error]).toEqual([undefined, undefined]);
    expect(fixture.tokenRequests).toHaveLength(1);
    // The token and the first call fill the window of 2; the second call waits for the next.
    expect(Date.parse(first.meta.attempts[0]!.startedAt)).toBe(start);
    expect(Date.parse(second.meta.attempts[0]!.startedAt)).toBeGreaterThanOrEqual(start + 1_000);
  });

  it.each([
    ["without", false],
    ["with", {}],
  ] as const)("returns a second 401 as the error instead of looping (%s the retry policy)", async (_name, retry) => {
    fixture.apiResponder = (_req, res) => json(res, 401, { title: "never" });
    const pipeline = authed(new FakeClock({ autoAdvance: true }), { retry });

    const result = await pipeline.call(operation(), schemas, input(1));

    expect(result.error).toMatchObject({ kind: "http", status: 401 });
    expect(fixture.tokenRequests).toHaveLength(2);
    expect(fixture.apiRequests).toHaveLength(2);
    expect(JSON.stringify(result.meta)).not.toMatch(/tok-\d/);
  });

  it("waits out a token endpoint's 503 Retry-After and then uses the token it issues", async () => {
    fixture.tokenResponder = (_req, res, n) => {
      if (n === 1) json(res, 503, { error: "temporarily_unavailable" }, { "retry-after": "2" });
      else issue(res);
    };
    const clock = new FakeClock({ autoAdvance: true });
    const start = clock.now();
    const pipeline = authed(clock);

    const result = await pipeline.call(operation(), schemas, input(1));

    expect(result.data).toEqual({ id: "1" });
    expect(fixture.tokenRequests).toHaveLength(2);
    expect(clock.now() - start).toBeGreaterThanOrEqual(2_000);
    expect(fixture.apiRequests.map((r) => r.headers.authorization)).toEqual(["Bearer tok-1"]);
  });

  it.each([
    ["a 502", (res: http.ServerResponse) => json(res, 502, { error: "bad_gateway" })],
    ["a 504", (res: http.ServerResponse) => json(res, 504, {})],
    ["a JSON answer cut short", (res: http.ServerResponse) => void res.writeHead(200, { "content-type": "application/json" }).end('{"access_token":"tok-')],
  ])("asks the token endpoint again after %s, so the ten calls waiting for it all succeed", async (_what, fault) => {
    fixture.tokenResponder = (_req, res, n) => (n === 1 ? fault(res) : issue(res));
    const pipeline = authed(new FakeClock({ autoAdvance: true }));

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => pipeline.call(operation(), schemas, input(i))));

    expect(results.map((r) => r.error?.kind)).toEqual(Array(10).fill(undefined));
    expect(fixture.tokenRequests).toHaveLength(2);
  });

  it("reports a refused client as auth-failed without the secret or any token in the error, meta or telemetry", async () => {
    fixture.tokenResponder = (_req, res) =>
      json(res, 400, { error: "invalid_client", error_description: `client ${CLIENT_ID} with secret ${SECRET} is unknown`, access_token_hint: "tok-leak" });
    const events: TelemetryEvent[] = [];
    const pipeline = authed(new FakeClock(), { events });

    const result = await pipeline.call(operation(), schemas, input(1));

    expect(result.error).toMatchObject({ kind: "auth-failed", status: 400 });
    expect(result.error!.message).toContain("invalid_client");
    expect(fixture.apiRequests).toHaveLength(0);
    const everything = [
      result.error!.message,
      String(result.error),
      result.error!.stack ?? "",
      JSON.stringify(result.error),
      JSON.stringify(result.meta),
      JSON.stringify(events),
      String((result.error as { cause?: unknown }).cause ?? ""),
    ].join("\n");
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain("tok-leak");
    expect(events.some((e) => e.type === "token" && e.action === "failed")).toBe(true);
  });

  it("sends no Authorization header, and fetches no token, for security: none operations", async () => {
    fixture.apiResponder = (_req, res) => json(res, 200, { id: "public" });
    const pipeline = authed(new FakeClock());

    const result = await pipeline.call(operation({ security: "none", operationId: "getMetadata", path: "/metadata/{thingId}" }), schemas, input(1));

    expect(result.data).toEqual({ id: "public" });
    expect(fixture.apiRequests[0]!.headers.authorization).toBeUndefined();
    expect(fixture.tokenRequests).toHaveLength(0);
  });
});
