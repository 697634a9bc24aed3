/**
 * The provider simulator: a real HTTP server on 127.0.0.1 that serves any OpenAPI
 * spec with the behaviour real providers have: OAuth client-credentials tokens that
 * expire, a per-client_id sliding-window rate limit (seed 003), request validation,
 * server-side idempotency keys, a stateful resource store and scripted or seeded
 * faults. Everything it did is in `log` and `counters` (and under /__carewire/).
 *
 * Order of checks for one request: admin → outage → route → token endpoint → auth →
 * rate limit → concurrency → pre-handler fault → validation → idempotency → handler
 * (commit) → post-commit fault → send.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createHash } from "node:crypto";
import { isObject, type JsonObject } from "../../codegen/json.js";
import { TokenAuthority, wwwAuthenticate } from "./auth.js";
import { applyDrift, shapeOf } from "./drift.js";
import { FaultInjector, type Fault, type FaultPlan } from "./faults.js";
import { IdempotencyStore, requestFingerprint, validIdempotencyKey, type StoredResponse } from "./idempotency.js";
import { problemBody, sendJson, sendProblem, type FieldError } from "./problem.js";
import { seededRandom } from "./random.js";
import { rateLimitHeaders, SlidingWindowLimiter, type RateLimitConfig, type RateLimitHeaderStyle } from "./rate-limiter.js";
import { Recorder, type Counters, type LogEntry } from "./recorder.js";
import { SpecModel, type Route } from "./spec-model.js";
import { ResourceStore, type Resource } from "./state.js";

export const DEFAULT_CLIENTS: Readonly<Record<string, string>> = Object.freeze({
  "carewire-demo": "carewire-demo-secret",
  "carewire-other": "carewire-other-secret",
});

export interface SimulatorOptions {
  /** Path to the OpenAPI document to serve. */
  readonly spec: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Seeds probabilistic faults. Default 1. */
  readonly seed?: number;
  /** Created resources can be read back. Default true. */
  readonly stateful?: boolean;
  /** Quota per client_id; default from the spec's `x-carewire-rate-limit`, `false` for none. */
  readonly rateLimit?: { readonly limit: number; readonly windowSeconds: number } | false;
  readonly rateLimitHeaders?: RateLimitHeaderStyle;
  /** Requests one client may have in flight at once (excess gets 429). */
  readonly concurrencyLimit?: number;
  readonly tokenTtlSeconds?: number;
  /** client_id → client_secret accepted by the token endpoint. */
  readonly clients?: Readonly<Record<string, string>>;
  /** Require credentials where the spec does. Default true. */
  readonly auth?: boolean;
  readonly validateRequests?: boolean;
  readonly faults?: FaultPlan;
  /** Milliseconds clock (tests pass a fake one). Default Date.now. */
  readonly clock?: () => number;
  /** Per-operationId handlers that replace the generic behaviour (see scenarios/). */
  readonly handlers?: Readonly<Record<string, SimulatorHandler>>;
}

export interface HandlerContext {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly clientId: string;
  readonly store: ResourceStore;
  readonly model: SpecModel;
  /** The generic behaviour, to wrap rather than replace. */
  fallback(): HandlerResult;
}

export interface HandlerResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly contentType?: string;
}

export type SimulatorHandler = (context: HandlerContext) => HandlerResult;

export interface Simulator {
  readonly url: string;
  readonly port: number;
  readonly model: SpecModel;
  readonly log: readonly LogEntry[];
  readonly counters: Readonly<Counters>;
  readonly faults: FaultInjector;
  readonly tokens: TokenAuthority;
  /** Path of the OAuth token endpoint. */
  readonly tokenPath: string;
  /** Gets a bearer token over HTTP, as a client would (it counts against the client's quota). */
  issueToken(clientId?: string): Promise<string>;
  /** Clears log, counters, rate windows, idempotency records, state and faults. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const model = await SpecModel.load(options.spec);
  const clock = options.clock ?? Date.now;
  const startedAt = clock();
  const clients = options.clients ?? DEFAULT_CLIENTS;
  const tokens = new TokenAuthority(clients, (options.tokenTtlSeconds ?? 3600) * 1000);
  const rateConfig = rateConfigOf(options, model.doc);
  const limiter = rateConfig ? new SlidingWindowLimiter(rateConfig) : undefined;
  const headerStyle = options.rateLimitHeaders ?? "none";
  const faults = new FaultInjector(seededRandom(options.seed ?? 1), options.faults);
  const idempotency = new IdempotencyStore();
  const recorder = new Recorder();
  const store = new ResourceStore();
  const stateful = options.stateful ?? true;
  const validator = options.validateRequests === false ? undefined : model.validator;
  const inFlight = new Map<string, number>();
  const tokenPath = model.tokenPath;
  const authEnabled = options.auth ?? true;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The simulator itself must never crash on a request: answer 500 and keep serving.
      if (!res.headersSent) sendProblem(res, { status: 500, title: "simulator error", detail: String(error) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://simulator.local");
    let operationId: string | null = null;
    let clientId: string | null = null;
    let fault: Fault | null = null;
    let idempotencyKey: string | null = null;
    let replayed = false;
    const finish = (status: number | null) =>
      recorder.record({
        time: new Date(clock()).toISOString(),
        clientId,
        operationId,
        method,
        path: url.pathname,
        status,
        idempotencyKey,
        fault: fault?.kind ?? null,
        replayed,
        durationMs: performance.now() - started,
      });

    const raw = await readBody(req);
    if (raw === undefined) {
      sendProblem(res, { status: 413, title: "Payload Too Large", detail: `bodies are limited to ${MAX_BODY_BYTES} bytes` });
      return finish(413);
    }
    if (url.pathname.startsWith("/__carewire/")) return admin(method, url, raw, res);

    const outage = faults.outageRemaining(clock() - startedAt);
    if (outage > 0) {
      fault = { kind: "status", status: 503 };
      sendProblem(res, { status: 503, title: "Service Unavailable", detail: "scheduled outage" }, { "retry-after": String(Math.ceil(outage / 1000)) });
      return finish(503);
    }

    if (method === "POST" && url.pathname === tokenPath) {
      const form = new URLSearchParams(raw.toString("utf8"));
      const result = tokens.grant(form, header(req, "authorization"), clock());
      clientId = result.ok ? result.token.clientId : (result.clientId ?? `anonymous:${req.socket.remoteAddress ?? ""}`);
      const tokenRoute = model.match(method, url.pathname);
      operationId = "route" in tokenRoute ? tokenRoute.route.op.operationId : "issueToken";
      // The token endpoint counts against the client's quota like every other endpoint (seed 003).
      const rate = rateLimit(clientId, res);
      if (rate.refused) return finish(429);
      if (!result.ok) {
        sendJson(res, result.status, { error: result.error, error_description: result.description }, { ...rate.headers, "cache-control": "no-store" });
        return finish(result.status);
      }
      const body = { access_token: result.token.token, token_type: "Bearer", expires_in: tokens.ttlSeconds, scope: result.token.scope };
      sendJson(res, 200, body, { ...rate.headers, "cache-control": "no-store" });
      return finish(200);
    }

    const matched = model.match(method, url.pathname);
    if ("error" in matched) {
      if (matched.error === 405) {
        sendProblem(res, { status: 405, title: "Method Not Allowed", detail: `${method} is not allowed on ${url.pathname}` }, { allow: matched.allow.join(", ") });
        return finish(405);
      }
      sendProblem(res, { status: 404, title: "Not Found", detail: `no operation matches ${method} ${url.pathname}` });
      return finish(404);
    }
    const { route, params } = matched;
    operationId = route.op.operationId;

    // Authentication: bearer tokens from our own token endpoint; API keys identify the client as they are.
    if (authEnabled && route.op.security === "required") {
      const apiKey = apiKeyOf(model.doc, req, url);
      if (apiKey !== undefined) clientId = `key:${createHash("sha256").update(apiKey).digest("hex").slice(0, 12)}`;
      else {
        const check = tokens.check(header(req, "authorization"), clock());
        if (!check.ok) {
          clientId = "clientId" in check && check.clientId ? check.clientId : null;
          sendProblem(res, { status: 401, title: "Unauthorized", detail: check.error === "expired" ? "the access token expired" : check.error === "missing" ? "a bearer token is required" : "the access token is not valid" }, { "www-authenticate": wwwAuthenticate(check.error) });
          return finish(401);
        }
        clientId = check.clientId;
      }
    }
    clientId ??= `anonymous:${req.socket.remoteAddress ?? ""}`;

    const rate = rateLimit(clientId, res);
    if (rate.refused) return finish(429);
    const active = inFlight.get(clientId) ?? 0;
    if (options.concurrencyLimit !== undefined && active >= options.concurrencyLimit) {
      recorder.rateLimited();
      sendJson(res, 429, { error: "concurrency_limit_exceeded", message: `At most ${options.concurrencyLimit} concurrent requests per client.` }, { "retry-after": "1" });
      return finish(429);
    }
    // A fault is drawn only for requests that got past auth and the limits, so the
    // fault counters count faults a client actually saw.
    fault = faults.next(operationId);
    if (fault.kind === "expired-token" && route.op.security === "required") {
      sendProblem(res, { status: 401, title: "Unauthorized", detail: "the access token expired" }, { ...rate.headers, "www-authenticate": wwwAuthenticate("expired") });
      return finish(401);
    }
    inFlight.set(clientId, active + 1);
    try {
      return await serveOperation(req, res, route, params, url, raw, clientId, fault, rate.headers, {
        setKey: (key) => (idempotencyKey = key),
        setReplayed: () => (replayed = true),
        finish,
      });
    } finally {
      inFlight.set(clientId, (inFlight.get(clientId) ?? 1) - 1);
    }
  }

  /** Takes a slot for the client; on refusal sends the seed-003 429 (JSON body, Retry-After in seconds). */
  function rateLimit(clientId: string, res: ServerResponse): { refused: boolean; headers: Record<string, string> } {
    if (!limiter || !rateConfig) return { refused: false, headers: {} };
    const now = clock();
    const decision = limiter.take(clientId, now);
    const headers = rateLimitHeaders(headerStyle, decision, rateConfig, now);
    if (decision.allowed) return { refused: false, headers };
    recorder.rateLimited();
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    sendJson(res, 429, { error: "rate_limit_exceeded", message: "Too many requests. Please retry after the indicated time." }, { ...headers, "retry-after": String(retryAfter) });
    return { refused: true, headers };
  }

  async function serveOperation(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    params: Record<string, string>,
    url: URL,
    raw: Buffer,
    clientId: string,
    fault: Fault,
    rateHeaders: Record<string, string>,
    hooks: { setKey(key: string): void; setReplayed(): void; finish(status: number | null): void },
  ): Promise<void> {
    // Faults that strike before the provider does any work.
    if (fault.kind === "reset-before") {
      req.socket.destroy();
      return hooks.finish(null);
    }
    if (fault.kind === "status") {
      const headers: Record<string, string> = { ...rateHeaders };
      if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
      sendProblem(res, { status: fault.status, title: http.STATUS_CODES[fault.status] ?? "Error", detail: "injected fault" }, headers);
      return hooks.finish(fault.status);
    }

    // Idempotency keys on writes: a garbage key is refused before anything else about the request.
    const keyHeader = route.op.hints.idempotency?.header ?? "Idempotency-Key";
    const key = route.op.safety === "safe" ? undefined : header(req, keyHeader);
    const fingerprint = requestFingerprint(route.op.method, url.pathname + url.search, raw.toString("utf8"));
    if (key !== undefined) {
      hooks.setKey(key.slice(0, 300));
      if (!validIdempotencyKey(key)) {
        return invalid(res, 400, [{ field: `header.${keyHeader}`, message: "must be 1-255 printable ASCII characters" }], rateHeaders, hooks);
      }
    }

    // Validation: parameters, then the body by its content type.
    const parsed = parseRequestBody(model, req, raw, route);
    if ("problem" in parsed) {
      sendProblem(res, parsed.problem, rateHeaders);
      return hooks.finish(parsed.problem.status);
    }
    if (validator) {
      const paramErrors = validator.validateParameters(route.entry.parameterObjects, {
        path: (name) => params[name],
        query: (name) => {
          const all = url.searchParams.getAll(name);
          return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
        },
        header: (name) => header(req, name),
        cookie: (name) => cookieOf(req, name),
      });
      if (paramErrors.length > 0) return invalid(res, 400, paramErrors, rateHeaders, hooks);
      if (parsed.schema !== undefined && parsed.body !== undefined) {
        const { errors } = validator.validateValue(parsed.schema, parsed.body, { coerce: parsed.form });
        if (errors.length > 0) return invalid(res, route.op.responses["422"] ? 422 : 400, errors, rateHeaders, hooks);
      }
    }

    // Idempotency keys on writes.
    if (key !== undefined) {
      const decision = idempotency.begin(clientId, key, fingerprint);
      if (decision.action === "replay") {
        hooks.setReplayed();
        send(res, decision.response, { "idempotent-replayed": "true", ...rateHeaders });
        return hooks.finish(decision.response.status);
      }
      if (decision.action === "mismatch") {
        sendProblem(res, { status: 422, title: "Idempotency-Key reused", detail: `this ${keyHeader} was used with a different request` }, rateHeaders);
        return hooks.finish(422);
      }
      if (decision.action === "in-flight") {
        sendProblem(res, { status: 409, title: "Conflict", detail: `a request with this ${keyHeader} is still being processed` }, { ...rateHeaders, "retry-after": "1" });
        return hooks.finish(409);
      }
    }

    // The provider does the work (slowly, with a latency fault: a key stays in flight meanwhile).
    if (fault.kind === "latency") await sleep(fault.ms);
    const result = runHandler(route, params, url, parsed.body, clientId);
    const response = renderWith(model, route, result);
    if (route.op.safety !== "safe" && response.status >= 200 && response.status < 300) {
      recorder.commit(requestFingerprint(`${clientId} ${route.op.method}`, url.pathname, raw.toString("utf8")));
    }
    if (key !== undefined) {
      if (response.status >= 500) idempotency.abandon(clientId, key);
      else idempotency.complete(clientId, key, response);
    }

    // Faults that strike after the work is committed.
    if (fault.kind === "reset-after-commit") {
      req.socket.destroy();
      return hooks.finish(null);
    }
    if (fault.kind === "drift") {
      const sampleSchema = model.mediaSample(route, response.status)?.schema;
      if (response.body && isJsonType(response.headers["content-type"])) {
        const drifted = applyDrift(model.doc, sampleSchema, JSON.parse(response.body), fault.drift);
        send(res, { ...response, body: JSON.stringify(drifted.body) }, rateHeaders);
        return hooks.finish(response.status);
      }
    }
    if (fault.kind === "truncated-json" || fault.kind === "malformed-json") {
      const body = response.body || "{}";
      const broken = fault.kind === "truncated-json" ? body.slice(0, Math.max(1, Math.floor(body.length / 2))) : `${body.slice(0, -1)},,}`;
      const headers = { ...response.headers, ...rateHeaders };
      delete (headers as Record<string, string>)["content-length"];
      res.writeHead(response.status, headers);
      res.end(broken);
      return hooks.finish(response.status);
    }
    if (fault.kind === "slow-drip") {
      await drip(res, response, rateHeaders, fault.intervalMs, fault.chunkBytes ?? 8);
      return hooks.finish(response.status);
    }
    send(res, response, rateHeaders);
    hooks.finish(response.status);
  }

  function invalid(res: ServerResponse, status: 400 | 422, errors: FieldError[], headers: Record<string, string>, hooks: { finish(status: number | null): void }): void {
    sendProblem(res, { status, title: status === 400 ? "Bad Request" : "Unprocessable Content", detail: `${errors[0]!.field} ${errors[0]!.message}`, errors }, headers);
    hooks.finish(status);
  }

  function runHandler(route: Route, params: Record<string, string>, url: URL, body: unknown, clientId: string): HandlerResult {
    const context: HandlerContext = {
      route,
      params,
      query: url.searchParams,
      body,
      clientId,
      store,
      model,
      fallback: () => (stateful ? statefulResult(model, store, route, params, url, body) : sampledResult(model, route)),
    };
    const custom = options.handlers?.[route.op.operationId];
    return custom ? custom(context) : context.fallback();
  }

  function admin(method: string, url: URL, raw: Buffer, res: ServerResponse): void {
    const path = url.pathname.slice("/__carewire".length);
    const body = (): unknown => {
      try {
        return raw.length ? JSON.parse(raw.toString("utf8")) : {};
      } catch {
        return undefined;
      }
    };
    if (method === "GET" && path === "/health") return sendJson(res, 200, { status: "ok", operations: model.routes.length });
    if (method === "GET" && path === "/log") return sendJson(res, 200, recorder.log);
    if (method === "GET" && path === "/counters") return sendJson(res, 200, recorder.counters);
    if (method === "POST" && path === "/reset") {
      reset();
      return sendJson(res, 200, { reset: true });
    }
    if (method === "PUT" && path === "/faults") {
      const plan = body();
      if (!isObject(plan)) return sendProblem(res, { status: 400, title: "Bad Request", detail: "a JSON fault plan is required" });
      faults.load(plan as FaultPlan);
      return sendJson(res, 200, { loaded: true });
    }
    if (method === "DELETE" && path === "/faults") {
      faults.clear();
      return sendJson(res, 200, { cleared: true });
    }
    if (method === "POST" && path === "/outage") {
      const plan = body();
      const seconds = isObject(plan) && typeof plan.seconds === "number" ? plan.seconds : NaN;
      if (!(seconds > 0)) return sendProblem(res, { status: 400, title: "Bad Request", detail: "`seconds` must be a positive number" });
      faults.addOutage(clock() - startedAt, seconds * 1000);
      return sendJson(res, 200, { outageSeconds: seconds });
    }
    if (method === "POST" && path === "/tokens/expire") {
      tokens.expireAll();
      return sendJson(res, 200, { expired: true });
    }
    sendProblem(res, { status: 404, title: "Not Found", detail: `no admin endpoint ${method} /__carewire${path}` });
  }

  function reset(): void {
    recorder.reset();
    limiter?.reset();
    idempotency.reset();
    store.reset();
    faults.clear();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;

  return {
    url,
    port,
    model,
    get log() {
      return recorder.log;
    },
    get counters() {
      return recorder.counters;
    },
    faults,
    tokens,
    tokenPath,
    async issueToken(clientId = Object.keys(clients)[0] ?? "") {
      const response = await fetch(`${url}${tokenPath}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clients[clientId] ?? "" }),
      });
      const json = (await response.json()) as { access_token?: string };
      if (!response.ok || !json.access_token) throw new Error(`token endpoint answered ${response.status}`);
      return json.access_token;
    },
    reset,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type RenderedResponse = StoredResponse & { readonly headers: Record<string, string> };

/** Serialises a handler result, filling the response headers the spec documents. */
function renderWith(model: SpecModel, route: Route, result: HandlerResult): RenderedResponse {
  const declared = model.responseFor(route, result.status);
  const contentType = result.contentType ?? (declared && isObject(declared.content) ? Object.keys(declared.content)[0] : undefined) ?? "application/json";
  const body = result.body === undefined || result.status === 204 || result.status === 304 ? "" : typeof result.body === "string" && !isJsonType(contentType) ? result.body : serialize(result.body);
  const headers: Record<string, string> = {};
  if (body !== "") headers["content-type"] = contentType;
  for (const [name, value] of documentedHeaders(model, route, result.status)) {
    headers[name] = name === "etag" ? `"${createHash("sha1").update(body).digest("hex").slice(0, 16)}"` : value;
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = value;
  return { status: result.status, headers, body };
}

const headerCache = new WeakMap<Route, Map<number, ReadonlyArray<[string, string]>>>();
const serialized = new WeakMap<object, string>();

/** JSON text of a body; sampled bodies are shared, never mutated, so their text is computed once. */
function serialize(body: unknown): string {
  if (typeof body !== "object" || body === null) return JSON.stringify(body);
  let text = serialized.get(body);
  if (text === undefined) serialized.set(body, (text = JSON.stringify(body)));
  return text;
}

/** Values for the response headers the spec documents, sampled once per operation and status. */
function documentedHeaders(model: SpecModel, route: Route, status: number): ReadonlyArray<[string, string]> {
  let byStatus = headerCache.get(route);
  if (!byStatus) headerCache.set(route, (byStatus = new Map()));
  let list = byStatus.get(status);
  if (!list) {
    const declared = model.responseFor(route, status);
    list = declared && isObject(declared.headers) ? Object.entries(declared.headers).filter(([name]) => name.toLowerCase() !== "content-type").map(([name, raw]): [string, string] => [name.toLowerCase(), headerValue(model, raw)]) : [];
    byStatus.set(status, list);
  }
  return list;
}

function headerValue(model: SpecModel, rawHeader: unknown): string {
  const h = isObject(rawHeader) ? rawHeader : {};
  const value = model.exampleOf({ ...(h.example !== undefined ? { example: h.example } : {}), ...(h.examples !== undefined ? { examples: h.examples } : {}), ...(h.schema !== undefined ? { schema: h.schema } : {}) });
  if (value === undefined || value === null) return "1";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Without state: every response comes from the spec's examples or samples. */
function sampledResult(model: SpecModel, route: Route): HandlerResult {
  const status = model.successStatus(route);
  return { status, body: model.mediaSample(route, status)?.body };
}

/** With state: create, read back, update, delete and list resources by collection. */
function statefulResult(model: SpecModel, store: ResourceStore, route: Route, params: Record<string, string>, url: URL, body: unknown): HandlerResult {
  const { op } = route;
  const itemMatch = /^(.*)\/\{([^{}]+)\}$/.exec(op.path);
  const actionMatch = /^(.*)\/\{([^{}]+)\}\/([^{}/]+)$/.exec(op.path);
  const status = model.successStatus(route);
  const sampled = model.mediaSample(route, status)?.body;
  const notFound = (): HandlerResult => ({ status: 404, body: problemBody({ status: 404, title: "Not Found", detail: `no such resource` }), contentType: "application/problem+json" });

  if (op.method === "post" && !itemMatch && !actionMatch) {
    if (!isObject(sampled)) return { status, body: sampled };
    const numeric = typeof sampled.id === "number";
    const id = store.nextId(op.path, numeric);
    const resource: Resource = { ...serverFields(model, route, status, sampled, body), ...(isObject(body) ? body : {}), id };
    store.put(op.path, String(id), resource);
    return { status, body: resource, headers: { location: `${url.pathname.replace(/\/$/, "")}/${encodeURIComponent(String(id))}` } };
  }
  if (itemMatch) {
    const [, collection, param] = itemMatch;
    const id = params[param!]!;
    const existing = store.get(collection!, id);
    const known = store.has(collection!);
    if (op.method === "get") {
      if (existing) return { status, body: existing };
      return known && op.responses["404"] ? notFound() : { status, body: sampled };
    }
    if (op.method === "put" || op.method === "patch") {
      if (!existing) return known && op.responses["404"] ? notFound() : { status, body: sampled };
      const updated: Resource = op.method === "put" ? { ...(isObject(sampled) ? sampled : {}), ...(isObject(body) ? body : {}), id: existing.id } : { ...existing, ...(isObject(body) ? body : {}), id: existing.id };
      store.put(collection!, id, updated);
      return { status, body: updated };
    }
    if (op.method === "delete") {
      if (!store.delete(collection!, id) && known && op.responses["404"]) return notFound();
      return { status, body: sampled };
    }
  }
  if (actionMatch && op.method === "post") {
    const [, collection, param] = actionMatch;
    const existing = store.get(collection!, params[param!]!);
    if (!existing) return store.has(collection!) && op.responses["404"] ? notFound() : { status, body: sampled };
    return { status, body: { ...existing, ...(isObject(body) ? body : {}) } };
  }
  if (op.method === "get" && store.has(op.path)) return { status, body: listPage(store.list(op.path), sampled, url.searchParams) };
  return { status, body: sampled };
}

/**
 * The fields the server contributes to a created resource: everything the client
 * cannot send (ids, timestamps, status), plus sampled values for fields the response
 * requires but the client left out. A client's optional field it did not send stays absent.
 */
function serverFields(model: SpecModel, route: Route, status: number, sampled: JsonObject, body: unknown): JsonObject {
  const requestSchema = model.requestBody(route)?.media.values().next().value?.schema;
  const writable = shapeOf(model.doc, requestSchema)?.properties ?? {};
  const required = shapeOf(model.doc, model.mediaSample(route, status)?.schema)?.required ?? new Set<string>();
  const sent = isObject(body) ? body : {};
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(sampled)) {
    if (!(key in writable) || (required.has(key) && !(key in sent))) out[key] = value;
  }
  return out;
}

/** Fills a list response (a bare array, or the array inside a page object) from the store, paged. */
function listPage(items: Resource[], sampled: unknown, query: URLSearchParams): unknown {
  const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
  const size = Math.max(1, Math.min(1000, Number(query.get("pageSize") ?? query.get("limit") ?? query.get("per_page") ?? 20) || 20));
  const slice = items.slice((page - 1) * size, page * size);
  if (Array.isArray(sampled) || !isObject(sampled)) return slice;
  const arrayKey = Object.keys(sampled).find((k) => Array.isArray(sampled[k]));
  if (arrayKey === undefined) return sampled;
  const out: JsonObject = { ...sampled, [arrayKey]: slice };
  if ("total" in out) out.total = items.length;
  if ("page" in out) out.page = page;
  if ("pageSize" in out) out.pageSize = size;
  if ("nextPage" in out) out.nextPage = page * size < items.length ? page + 1 : null;
  return out;
}

function send(res: ServerResponse, response: StoredResponse, extra: Record<string, string>): void {
  const headers = { ...response.headers, ...extra };
  if (response.body !== "") headers["content-length"] = String(Buffer.byteLength(response.body));
  res.writeHead(response.status, headers);
  res.end(response.body);
}

async function drip(res: ServerResponse, response: StoredResponse, extra: Record<string, string>, intervalMs: number, chunkBytes: number): Promise<void> {
  const body = Buffer.from(response.body);
  res.writeHead(response.status, { ...response.headers, ...extra, "content-length": String(body.length) });
  for (let offset = 0; offset < body.length; offset += chunkBytes) {
    if (res.destroyed) return;
    res.write(body.subarray(offset, offset + chunkBytes));
    await sleep(intervalMs);
  }
  res.end();
}

function parseRequestBody(
  model: SpecModel,
  req: IncomingMessage,
  raw: Buffer,
  route: Route,
): { body: unknown; schema: unknown; form: boolean } | { problem: { status: 400 | 415; title: string; detail: string; errors?: FieldError[] } } {
  const declared = model.requestBody(route);
  if (!declared) return { body: undefined, schema: undefined, form: false };
  if (raw.length === 0) {
    if (declared.required) return { problem: { status: 400, title: "Bad Request", detail: "a request body is required", errors: [{ field: "body", message: "is required" }] } };
    return { body: undefined, schema: undefined, form: false };
  }
  const contentType = (header(req, "content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const media = declared.media.get(contentType) ?? (contentType === "" ? undefined : [...declared.media.entries()].find(([t]) => t.endsWith("/*") && contentType.startsWith(t.slice(0, -1)))?.[1]);
  if (!media) {
    return { problem: { status: 415, title: "Unsupported Media Type", detail: `content type "${contentType || "(none)"}" is not one of ${declared.contentTypes.join(", ")}` } };
  }
  if (isJsonType(contentType)) {
    try {
      return { body: JSON.parse(raw.toString("utf8")), schema: media.schema, form: false };
    } catch (error) {
      return { problem: { status: 400, title: "Bad Request", detail: `the body is not valid JSON: ${(error as Error).message}`, errors: [{ field: "body", message: "is not valid JSON" }] } };
    }
  }
  if (contentType === "application/x-www-form-urlencoded") {
    return { body: Object.fromEntries(new URLSearchParams(raw.toString("utf8"))), schema: media.schema, form: true };
  }
  return { body: raw.toString("utf8"), schema: undefined, form: false };
}

function isJsonType(contentType: string | undefined): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType ?? "");
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (header(req, "cookie") ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function rateConfigOf(options: SimulatorOptions, doc: JsonObject): RateLimitConfig | undefined {
  if (options.rateLimit === false) return undefined;
  if (options.rateLimit) return { limit: options.rateLimit.limit, windowMs: options.rateLimit.windowSeconds * 1000 };
  const hint = doc["x-carewire-rate-limit"];
  if (isObject(hint) && typeof hint.limit === "number" && typeof hint.windowSeconds === "number") {
    return { limit: hint.limit, windowMs: hint.windowSeconds * 1000 };
  }
  return undefined;
}

/** The value of an apiKey credential the spec declares, when the request carries one. */
function apiKeyOf(doc: JsonObject, req: IncomingMessage, url: URL): string | undefined {
  const schemes = isObject(doc.components) && isObject(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  for (const scheme of Object.values(schemes)) {
    if (!isObject(scheme) || scheme.type !== "apiKey" || typeof scheme.name !== "string") continue;
    const value = scheme.in === "query" ? url.searchParams.get(scheme.name) ?? undefined : scheme.in === "cookie" ? cookieOf(req, scheme.name) : header(req, scheme.name);
    if (value) return value;
  }
  return undefined;
}
