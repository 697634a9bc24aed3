/**
 * The provider simulator: a real HTTP server on 127.0.0.1 that serves any OpenAPI
 * spec with the behaviour real providers have: OAuth client-credentials tokens that
 * expire, a sliding-window rate limit per client_id (as the clinic provider counts),
 * request validation, server-side idempotency keys, a stateful resource store and
 * scripted or seeded faults. Everything it did is in `log` and `counters` (and under /__carewire/).
 *
 * Order of checks for one request: admin → outage → route → credentials →
 * concurrency → rate limit → fault draw → pre-handler fault → validation →
 * idempotency → handler (commit) → post-commit fault → send.
 */
import { KindedError } from "../../runtime/core/kinded-error.js";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { isObject, type JsonObject } from "../../codegen/json.js";
import { honoursIdempotencyKeys, type OperationDescriptor } from "../../runtime/core/operation.js";
import { isJsonMediaType, isMediaRange, mediaTypeMatches } from "../../runtime/wire/media-type.js";
import { bracketDecode } from "./brackets.js";
import { acceptedForms, admit, basicUserOf, clientCredentialsForm, TokenAuthority, wwwAuthenticate } from "./auth.js";
import { sampledResult, statefulResult } from "./crud.js";
import { simulatorClock, type SimulatorClock } from "./clock.js";
import { applyDrift } from "./drift.js";
import { FaultInjector, FaultPlanError, validateFaultPlan, type Fault, type FaultControls, type FaultPlan } from "./faults.js";
import { cookieOf, drip, header, listenTracked, MAX_BODY_BYTES, readBody, requestFingerprint, send, type WireResponse } from "./http-io.js";
import { IdempotencyStore, validIdempotencyKey } from "./idempotency.js";
import { sendJson, sendProblem, type FieldError, type Problem } from "./problem.js";
import { answerCors } from "./cors.js";
import { multiPolicyHeaders, WeightedWindowLimiter, type PointsQuotaOptions } from "./points-quota.js";
import { rateLimitHeaders, SlidingWindowLimiter, type RateDecision, type RateLimitConfig, type RateLimitHeaderStyle } from "./rate-limiter.js";
import { Recorder, type Counters, type LogEntry } from "./recorder.js";
import { render, type HandlerResult } from "./render.js";
import { SpecModel, type Route } from "./spec-model.js";
import { ResourceCatalog } from "./resources.js";
import { seedCollection, seedTargets } from "./seed.js";
import { responseWarnings, type ResponseWarning } from "./response-report.js";
import type { ResourceStoreView } from "./state.js";
import { ObservedResourceStore } from "./webhook-store.js";
import { startChangeFeeds } from "./webhook-feeds.js";
import type { ScheduledChangesOptions } from "./scheduled-changes.js";
import type { SimulatorWebhookOptions, SimulatorWebhooks } from "./webhook-sender.js";

export type { HandlerResult } from "./render.js";
export type { ResponseWarning } from "./response-report.js";

export const DEFAULT_CLIENTS: Readonly<Record<string, string>> = Object.freeze({
  "carewire-demo": "carewire-demo-secret",
  "carewire-other": "carewire-other-secret",
});

export interface SimulatorOptions {
  /** Path to the OpenAPI document to serve. */
  readonly spec: string;
  /** OpenAPI Overlay 1.0 files applied to the spec first (the hints a provider's config keeps outside the vendor's file). */
  readonly overlays?: readonly string[];
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Seeds probabilistic faults. Default 1. */
  readonly seed?: number;
  /** Created resources can be read back. Default true. */
  readonly stateful?: boolean;
  /**
   * Which writes the simulator dedupes by Idempotency-Key: `"declared"` (default) those whose
   * spec says the provider honours keys (`x-carewire-idempotency`), as the provider would;
   * elsewhere a repeat with the same key is applied again, so a contract run shows the
   * duplicates a client would make. `"always"` honours a key on every write.
   */
  readonly idempotencyKeys?: "declared" | "always";
  /**
   * With state, the resources the spec's examples name (the id in a path parameter's
   * example) exist from the start, so the documented calls answer as documented. Default
   * true; false starts every collection empty (tests that count what they wrote).
   */
  readonly seedExamples?: boolean;
  /** Quota per client_id; default from the spec's `x-carewire-rate-limit`, `false` for none. */
  readonly rateLimit?: { readonly limit: number; readonly windowSeconds: number } | false;
  readonly rateLimitHeaders?: RateLimitHeaderStyle;
  /**
   * A points quota per client_id beside the request count: each operation spends its
   * price, from `costs` by operationId, else the spec's `x-carewire-cost` for this quota's
   * name (default `points`), else 1 (the token endpoint: 0). Over it: 429, spending
   * nothing. With `rateLimitHeaders: "ietf"` both quotas are named in RateLimit and
   * RateLimit-Policy ("requests" and this name).
   */
  readonly points?: PointsQuotaOptions & { readonly costs?: Readonly<Record<string, number>> };
  /** Requests one client may have in flight at once (excess gets 429). */
  readonly concurrencyLimit?: number;
  readonly tokenTtlSeconds?: number;
  /** client_id → client_secret accepted by the token endpoint. */
  readonly clients?: Readonly<Record<string, string>>;
  /** Require credentials where the spec does. Default true. */
  readonly auth?: boolean;
  readonly validateRequests?: boolean;
  readonly faults?: FaultPlan;
  /**
   * Time for quota windows, token expiry and outages: a function giving epoch ms, or a clock
   * whose `sleep` also times latency and slow-drip faults (carewire's FakeClock). Default: real time.
   */
  readonly clock?: (() => number) | SimulatorClock;
  /** Per-operationId handlers that replace the generic behaviour (see scenarios/). */
  readonly handlers?: Readonly<Record<string, SimulatorHandler>>;
  /** Send signed Standard Webhooks for every change of the resources (created, updated, deleted). */
  readonly webhooks?: SimulatorWebhookOptions;
  /** Change a random resource on a schedule (simulator clock), so data moves with no client writing. */
  readonly changes?: ScheduledChangesOptions;
}

export interface HandlerContext {
  readonly operation: OperationDescriptor;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly clientId: string;
  readonly store: ResourceStoreView;
  /** The generic behaviour (a copy: change it freely), to wrap rather than replace. */
  fallback(): HandlerResult;
}

export type SimulatorHandler = (context: HandlerContext) => HandlerResult;

export interface Simulator {
  readonly url: string;
  readonly port: number;
  /** Epoch ms (on the simulator's clock) when it started: outage windows count from here. */
  readonly startedAt: number;
  /** The operations served, in document order. */
  readonly operations: readonly OperationDescriptor[];
  /** A copy of the request log (the newest 10 000 entries). */
  readonly log: readonly LogEntry[];
  /** A snapshot of the counters. */
  readonly counters: Counters;
  readonly faults: FaultControls;
  /** Path of the OAuth token endpoint. */
  readonly tokenPath: string;
  /** The API keys the spec's operations ask for, where each goes: the simulator takes any value. */
  readonly apiKeys: ReadonlyArray<{ readonly in: string; readonly name: string }>;
  /** Gets a bearer token over HTTP, as a client would (it counts against the client's quota). */
  issueToken(clientId?: string): Promise<string>;
  /** Expires every token issued so far. */
  expireTokens(): void;
  /**
   * Responses the simulator cannot make valid against the spec (one per schema path),
   * found so far by the check that starts with the simulator; `responseReport` settles
   * when that check has seen every operation.
   */
  readonly warnings: readonly ResponseWarning[];
  readonly responseReport: Promise<readonly ResponseWarning[]>;
  /** The webhooks sent so far, with `webhooks` set. */
  readonly webhooks: SimulatorWebhooks | undefined;
  /** Clears log, counters, rate windows, idempotency records, state and faults, and restarts the seeded sequence. */
  reset(): void;
  close(): Promise<void>;
}

/** Every API key any operation asks for, once each, in document order (each of a set that asks for several). */
function apiKeysOf(model: SpecModel): Array<{ readonly in: string; readonly name: string }> {
  const seen = new Map<string, { readonly in: string; readonly name: string }>();
  for (const route of model.documentOrder) {
    for (const set of model.credentialsFor(route).sets) for (const key of set.apiKeys) seen.set(`${key.in}\0${key.name}`, { in: key.in, name: key.name });
  }
  return [...seen.values()];
}

/** Options that cannot work (a zero quota, a NaN window…). */
export class SimulatorConfigError extends KindedError {
  readonly kind = "simulator-config" as const;
}

interface RequestState {
  operationId: string | null;
  clientId: string | null;
  fault: Fault | null;
  idempotencyKey: string | null;
  replayed: boolean;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const rateOption = checkOptions(options);
  const model = await SpecModel.load(options.spec, options.overlays);
  const time = simulatorClock(options.clock);
  const clock = time.now;
  const sleep = time.sleep;
  const startedAt = clock();
  const clients = options.clients ?? DEFAULT_CLIENTS;
  const tokens = new TokenAuthority(clients, (options.tokenTtlSeconds ?? 3600) * 1000);
  const rateConfig = rateOption ?? rateConfigOf(options, model.doc);
  const limiter = rateConfig ? new SlidingWindowLimiter(rateConfig) : undefined;
  const points = options.points ? new WeightedWindowLimiter({ limit: options.points.limit, windowMs: options.points.windowSeconds * 1000 }) : undefined;
  const pointsName = options.points?.name ?? "points";
  const headerStyle = options.rateLimitHeaders ?? "none";
  const faults = new FaultInjector(options.seed ?? 1, options.faults === undefined ? {} : validateFaultPlan(options.faults));
  const idempotency = new IdempotencyStore();
  const recorder = new Recorder();
  const store = new ObservedResourceStore();
  const stateful = options.stateful ?? true;
  const catalog = stateful ? new ResourceCatalog(model) : undefined;
  const seeding = catalog && options.seedExamples !== false ? catalog : undefined;
  if (seeding) {
    const targets = seedTargets(model, seeding);
    store.fillOnFirstUse((collection) => store.quietly(() => seedCollection(model, seeding, store, targets.get(collection) ?? [])));
  }
  const feeds = startChangeFeeds(options, time, store, catalog);
  const validator = options.validateRequests === false ? undefined : model.validator;
  const inFlight = new Map<string, number>();
  const tokenPath = model.tokenPath;
  // Operations are served with and without the spec's base path (a client whose baseUrl ends
  // in `/api` sends `/api/…`): so is the token endpoint.
  const basePathTokenPath = model.basePath ? `${model.basePath}${tokenPath}` : tokenPath;
  const authEnabled = options.auth ?? true;

  let lastRequestAt = Number.NEGATIVE_INFINITY;
  const server = http.createServer((req, res) => {
    lastRequestAt = performance.now();
    if (answerCors(req, res)) return;
    const state: RequestState = { operationId: null, clientId: null, fault: null, idempotencyKey: null, replayed: false };
    const started = performance.now();
    const finish = (status: number | null) =>
      recorder.record({
        time: new Date(clock()).toISOString(),
        clientId: state.clientId,
        operationId: state.operationId,
        method: (req.method ?? "GET").toUpperCase(),
        path: (req.url ?? "/").split("?")[0]!.slice(0, 2048),
        status,
        idempotencyKey: state.idempotencyKey,
        fault: state.fault?.kind ?? null,
        replayed: state.replayed,
        durationMs: performance.now() - started,
      });
    handle(req, res, state, finish).catch((error: unknown) => {
      // The simulator must never crash on a request: answer 500, log it, keep serving.
      if (!res.headersSent) sendProblem(res, { status: 500, title: "simulator error", detail: error instanceof Error ? error.message : String(error) });
      else res.destroy();
      finish(500);
    });
  });
  server.keepAliveTimeout = 5_000;

  async function handle(req: IncomingMessage, res: ServerResponse, state: RequestState, finish: (status: number | null) => void): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    let url: URL;
    try {
      url = new URL(`http://simulator.local${req.url ?? "/"}`);
    } catch {
      sendProblem(res, { status: 400, title: "Bad Request", detail: "the request target is not a valid URL" });
      return finish(400);
    }
    const raw = await readBody(req);
    if (raw === undefined) {
      sendProblem(res, { status: 413, title: "Payload Too Large", detail: `bodies are limited to ${MAX_BODY_BYTES} bytes` });
      return finish(413);
    }
    if (url.pathname.startsWith("/__carewire/")) return admin(method, url, raw, res);

    const outage = faults.outageRemaining(clock() - startedAt);
    if (outage > 0) {
      state.fault = { kind: "status", status: 503 };
      sendProblem(res, { status: 503, title: "Service Unavailable", detail: "scheduled outage" }, { "retry-after": String(Math.ceil(outage / 1000)) });
      return finish(503);
    }

    if (method === "POST" && (url.pathname === tokenPath || url.pathname === basePathTokenPath)) return tokenEndpoint(req, res, url, raw, state, finish);

    const matched = model.match(method, url.pathname, (name) => header(req, name) ?? url.searchParams.get(name) ?? undefined);
    if ("error" in matched) {
      if (matched.error === 405) {
        sendProblem(res, { status: 405, title: "Method Not Allowed", detail: `${method} is not allowed on ${url.pathname}` }, { allow: matched.allow.join(", ") });
        return finish(405);
      }
      sendProblem(res, { status: 404, title: "Not Found", detail: `no operation matches ${method} ${url.pathname}` });
      return finish(404);
    }
    const { route, params } = matched;
    state.operationId = route.op.operationId;
    // The log ties every attempt of a write to its key, the refused ones (401, 429) too.
    const carriedKey = route.op.safety === "safe" ? undefined : header(req, route.op.hints.idempotency?.header ?? "Idempotency-Key");
    if (carriedKey !== undefined) state.idempotencyKey = carriedKey.slice(0, 300);

    // Credentials: one of the route's sets, whole. Bearer tokens come from our own token endpoint; API keys and basic users identify the client as they are.
    if (authEnabled && route.op.security === "required") {
      const accepted = model.credentialsFor(route);
      const authorization = header(req, "authorization");
      const check = admit(accepted, {
        apiKey: (k) => (k.in === "query" ? (url.searchParams.get(k.name) ?? undefined) : k.in === "cookie" ? cookieOf(req, k.name) : header(req, k.name)),
        basicUser: basicUserOf(authorization),
        token: tokens.check(authorization, clock()),
      });
      if (!check.ok) {
        state.clientId = check.clientId ?? null;
        const detail = check.error === "expired" ? "the access token expired" : check.error === "missing" ? `credentials are required: ${acceptedForms(accepted, tokenPath)}` : "the access token is not valid";
        sendProblem(res, { status: 401, title: "Unauthorized", detail }, { "www-authenticate": wwwAuthenticate(check.error) });
        return finish(401);
      }
      state.clientId = check.clientId;
    }
    const clientId = (state.clientId ??= `anonymous:${req.socket.remoteAddress ?? ""}`);

    // A request refused for concurrency never reached the rate limiter: it uses no quota.
    const active = inFlight.get(clientId) ?? 0;
    if (options.concurrencyLimit !== undefined && active >= options.concurrencyLimit) {
      recorder.rateLimited();
      sendJson(res, 429, { error: "concurrency_limit_exceeded", message: `At most ${options.concurrencyLimit} concurrent requests per client.` }, { "retry-after": "1" });
      return finish(429);
    }
    const rate = rateLimit(clientId, res, route.op);
    if (rate.refused) return finish(429);

    // A fault is drawn only for requests past credentials and limits: the fault counter counts faults a client saw.
    const fault = (state.fault = faults.next(route.op.operationId));
    if (fault.kind === "expired-token" && route.op.security === "required") {
      sendProblem(res, { status: 401, title: "Unauthorized", detail: "the access token expired" }, { ...rate.headers, "www-authenticate": wwwAuthenticate("expired") });
      return finish(401);
    }
    inFlight.set(clientId, active + 1);
    try {
      await serveOperation(req, res, route, params, url, raw, clientId, fault, rate.headers, state, finish);
    } finally {
      inFlight.set(clientId, Math.max(0, (inFlight.get(clientId) ?? 1) - 1));
    }
  }

  /** The token endpoint: rate-limited like every endpoint (the provider counts token requests too), and subject to faults. */
  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer, state: RequestState, finish: (status: number | null) => void): Promise<void> {
    const tokenRoute = model.match("POST", url.pathname);
    state.operationId = "route" in tokenRoute ? tokenRoute.route.op.operationId : "issueToken";
    const request = tokens.verify(new URLSearchParams(raw.toString("utf8")), header(req, "authorization"));
    // Only a verified client is charged to its own quota; anything else counts against the caller's address.
    state.clientId = request.ok ? request.clientId : `anonymous:${req.socket.remoteAddress ?? ""}`;
    const rate = rateLimit(state.clientId, res);
    if (rate.refused) return finish(429);
    const fault = (state.fault = faults.next(state.operationId));
    if (await preHandlerFault(req, res, fault, rate.headers)) return finish(fault.kind === "status" ? fault.status : null);
    const response: WireResponse = request.ok
      ? (() => {
          const token = tokens.issue(request.clientId, request.scope, clock());
          const body = JSON.stringify({ access_token: token.token, token_type: "Bearer", expires_in: tokens.ttlSeconds, scope: token.scope });
          return { status: 200, headers: { "content-type": "application/json", "cache-control": "no-store" }, body };
        })()
      : { status: request.status, headers: { "content-type": "application/json", "cache-control": "no-store" }, body: JSON.stringify({ error: request.error, error_description: request.description }) };
    await postCommitSend(req, res, response, fault, rate.headers, undefined);
    finish(fault.kind === "reset-after-commit" ? null : response.status);
  }

  /** Takes a slot for the client; on refusal sends the provider's 429 (JSON body, Retry-After in whole seconds). */
  function rateLimit(clientId: string, res: ServerResponse, op?: OperationDescriptor): { refused: boolean; headers: Record<string, string> } {
    if ((!limiter || !rateConfig) && !points) return { refused: false, headers: {} };
    const now = clock();
    const decision = limiter?.take(clientId, now);
    // Points are spent only by a request the request count let through.
    const price = points && decision?.allowed !== false ? priceOf(op) : 0;
    const spent = points && (price > 0 ? points.take(clientId, price, now) : points.peek(clientId, now));
    const headers = quotaHeaders(decision, spent, now);
    const refusedBy: RateDecision | undefined = decision?.allowed === false ? decision : price > 0 && spent?.allowed === false ? spent : undefined;
    if (refusedBy === undefined) return { refused: false, headers };
    recorder.rateLimited();
    const retryAfter = Math.max(1, Math.ceil(refusedBy.retryAfterMs / 1000));
    sendJson(res, 429, { error: "rate_limit_exceeded", message: "Too many requests. Please retry after the indicated time." }, { ...headers, "retry-after": String(retryAfter) });
    return { refused: true, headers };
  }

  /** What a call of `op` costs in points (the token endpoint, with no operation, none). */
  function priceOf(op: OperationDescriptor | undefined): number {
    if (op === undefined) return 0;
    const costs = options.points?.costs;
    if (costs !== undefined && Object.hasOwn(costs, op.operationId)) return costs[op.operationId]!;
    return op.hints.cost?.[pointsName] ?? 1;
  }

  /** The rate-limit fields: with a points quota in the IETF style, one policy per quota. */
  function quotaHeaders(requests: RateDecision | undefined, spent: RateDecision | undefined, now: number): Record<string, string> {
    if (spent === undefined || points === undefined) return requests && rateConfig ? rateLimitHeaders(headerStyle, requests, rateConfig, now) : {};
    if (headerStyle !== "ietf") return requests && rateConfig ? rateLimitHeaders(headerStyle, requests, rateConfig, now) : {};
    return multiPolicyHeaders([...(requests && rateConfig ? [{ name: "requests", decision: requests, config: rateConfig }] : []), { name: pointsName, decision: spent, config: points.config }]);
  }

  /** Faults that strike before the provider does any work. True when the response is done. */
  async function preHandlerFault(req: IncomingMessage, res: ServerResponse, fault: Fault, rateHeaders: Record<string, string>): Promise<boolean> {
    if (fault.kind === "reset-before") {
      req.socket.destroy();
      return true;
    }
    if (fault.kind === "status") {
      const headers: Record<string, string> = { ...rateHeaders };
      if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
      sendProblem(res, { status: fault.status, title: http.STATUS_CODES[fault.status] ?? "Error", detail: "injected fault" }, headers);
      return true;
    }
    if (fault.kind === "latency") await sleep(fault.ms);
    return false;
  }

  /** Sends a response the provider has committed, through the faults that strike after the work. */
  async function postCommitSend(req: IncomingMessage, res: ServerResponse, response: WireResponse, fault: Fault, rateHeaders: Record<string, string>, schema: unknown): Promise<void> {
    switch (fault.kind) {
      case "reset-after-commit":
        req.socket.destroy();
        return;
      case "drift":
        if (response.body && isJsonMediaType(response.headers["content-type"])) {
          const drifted = applyDrift(model.doc, schema, JSON.parse(response.body), fault.drift);
          return send(res, { ...response, body: JSON.stringify(drifted.body) }, rateHeaders);
        }
        return send(res, response, rateHeaders);
      case "truncated-json":
      case "malformed-json": {
        const body = response.body || "{}";
        const broken = fault.kind === "truncated-json" ? body.slice(0, Math.max(1, Math.floor(body.length / 2))) : `${body.slice(0, -1)},,}`;
        // No Content-Length: the body ends cleanly, it is just not JSON any more.
        res.writeHead(response.status, { ...response.headers, ...rateHeaders });
        res.end(broken);
        return;
      }
      case "slow-drip":
        return drip(res, response, rateHeaders, fault.intervalMs, fault.chunkBytes ?? 8, sleep);
      default:
        return send(res, response, rateHeaders);
    }
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
    state: RequestState,
    finish: (status: number | null) => void,
  ): Promise<void> {
    if (fault.kind !== "latency" && (await preHandlerFault(req, res, fault, rateHeaders))) return finish(fault.kind === "status" ? fault.status : null);
    const problem = (p: Problem) => {
      sendProblem(res, p, rateHeaders);
      finish(p.status);
    };

    // A garbage idempotency key is refused before anything else about the request.
    const keyHeader = route.op.hints.idempotency?.header ?? "Idempotency-Key";
    const sentKey = route.op.safety === "safe" ? undefined : header(req, keyHeader);
    const honoursKeys = options.idempotencyKeys === "always" || honoursIdempotencyKeys(route.op.hints);
    if (sentKey !== undefined) {
      state.idempotencyKey = sentKey.slice(0, 300);
      if (honoursKeys && !validIdempotencyKey(sentKey)) return problem(invalid(400, [{ field: `header.${keyHeader}`, message: "must be 1-255 printable ASCII characters" }]));
    }
    // A provider that never said it honours keys ignores them: logged, never deduped by.
    const key = honoursKeys ? sentKey : undefined;

    // Validation: parameters, then the body by its content type.
    const parsed = parseRequestBody(model, req, raw, route);
    if ("problem" in parsed) return problem(parsed.problem);
    if (validator) {
      const paramErrors = validator.validateParameters(route.entry.parameterObjects, {
        path: (name) => params[name],
        query: (name) => {
          const all = url.searchParams.getAll(name);
          if (all.length > 0) return all.length === 1 ? all[0] : all;
          // A deepObject parameter arrives as bracketed keys (`scope[type]=account`).
          const bracketed = [...url.searchParams].filter(([key]) => key.startsWith(`${name}[`));
          const value = bracketed.length === 0 ? undefined : bracketDecode(bracketed)[name];
          return isObject(value) ? value : undefined;
        },
        header: (name) => header(req, name),
        cookie: (name) => cookieOf(req, name),
      });
      if (paramErrors.length > 0) return problem(invalid(400, paramErrors));
      if (parsed.schema !== undefined && parsed.body !== undefined) {
        const { errors } = validator.validateValue(parsed.schema, parsed.body, { coerce: parsed.form });
        if (errors.length > 0) return problem(invalid(route.op.responses["422"] ? 422 : 400, errors));
      }
    }

    // Idempotency: replay, refuse a reused key, or run and remember.
    const fingerprint = requestFingerprint(clientId, route.op.method, url.pathname + url.search, parsed.body, raw);
    if (key !== undefined) {
      const decision = idempotency.begin(clientId, key, fingerprint);
      if (decision.action === "replay") {
        state.replayed = true;
        send(res, decision.response, { "idempotent-replayed": "true", ...rateHeaders });
        return finish(decision.response.status);
      }
      if (decision.action === "mismatch") return problem({ status: 422, title: "Idempotency-Key reused", detail: `this ${keyHeader} was used with a different request` });
      if (decision.action === "in-flight") {
        sendProblem(res, { status: 409, title: "Conflict", detail: `a request with this ${keyHeader} is still being processed` }, { ...rateHeaders, "retry-after": "1" });
        return finish(409);
      }
    }

    // The provider does the work (slowly, with a latency fault: a key stays in flight meanwhile).
    let response: WireResponse;
    try {
      if (fault.kind === "latency") await sleep(fault.ms);
      response = render(model, route, runHandler(route, params, url, parsed.body, clientId));
    } catch (error) {
      // A handler that throws has not committed: release the key so a retry can run.
      if (key !== undefined) idempotency.abandon(clientId, key);
      throw error;
    }
    if (route.op.safety !== "safe" && response.status >= 200 && response.status < 300) recorder.commit(fingerprint);
    if (key !== undefined) {
      if (response.status >= 500) idempotency.abandon(clientId, key);
      else idempotency.complete(clientId, key, response);
    }
    await postCommitSend(req, res, response, fault, rateHeaders, model.mediaSchema(route, response.status));
    finish(fault.kind === "reset-after-commit" ? null : response.status);
  }

  function runHandler(route: Route, params: Record<string, string>, url: URL, body: unknown, clientId: string): HandlerResult {
    const generic = () => (catalog ? statefulResult(model, catalog, store, route, params, url, body) : sampledResult(model, route));
    const custom = options.handlers?.[route.op.operationId];
    if (!custom) return generic();
    return custom({
      operation: route.op,
      params,
      query: url.searchParams,
      body,
      clientId,
      store,
      // Samples are shared across requests: a handler gets its own copy to change.
      fallback: () => structuredClone(generic()),
    });
  }

  function admin(method: string, url: URL, raw: Buffer, res: ServerResponse): void {
    const path = url.pathname.slice("/__carewire".length);
    const json = (): unknown => {
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
      try {
        faults.load(validateFaultPlan(json()));
      } catch (error) {
        if (error instanceof FaultPlanError) return sendProblem(res, { status: 400, title: "Bad Request", detail: error.message, errors: error.errors });
        throw error;
      }
      return sendJson(res, 200, { loaded: true });
    }
    if (method === "DELETE" && path === "/faults") {
      faults.clear();
      return sendJson(res, 200, { cleared: true });
    }
    if (method === "POST" && path === "/outage") {
      const body = json();
      const seconds = isObject(body) && typeof body.seconds === "number" ? body.seconds : NaN;
      if (!(seconds > 0 && seconds <= 86_400)) return sendProblem(res, { status: 400, title: "Bad Request", detail: "`seconds` must be a number from 0 to 86400", errors: [{ field: "body.seconds", message: "must be a number from 0 to 86400" }] });
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
    points?.reset();
    idempotency.reset();
    // The spec's examples come back as each collection is next used.
    store.reset();
    faults.reset();
  }

  const { url, port, close } = await listenTracked(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const warnings: ResponseWarning[] = [];
  let closed = false;
  const responseReport = responseWarnings(model, {
    ...(catalog ? { catalog } : {}),
    stopped: () => closed,
    found: (w) => warnings.push(w),
    // A request in the last tenth of a second means clients are at work.
    busy: () => performance.now() - lastRequestAt < 100,
  }).catch(() => [...warnings]);

  return {
    url,
    port,
    startedAt,
    operations: model.operations,
    get log() {
      return [...recorder.log];
    },
    get counters() {
      return structuredClone(recorder.counters);
    },
    faults,
    tokenPath,
    apiKeys: apiKeysOf(model),
    async issueToken(clientId = Object.keys(clients)[0] ?? "") {
      const response = await fetch(`${url}${tokenPath}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: clientCredentialsForm(clientId, clients[clientId] ?? ""),
      });
      const body = (await response.json().catch(() => ({}))) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`token endpoint answered ${response.status}`);
      return body.access_token;
    },
    expireTokens: () => tokens.expireAll(),
    get warnings() {
      return [...warnings];
    },
    responseReport,
    reset,
    webhooks: feeds.webhooks,
    async close() {
      closed = true;
      await feeds.close();
      await close();
    },
  };
}

function invalid(status: 400 | 422, errors: FieldError[]): Problem {
  return { status, title: status === 400 ? "Bad Request" : "Unprocessable Content", detail: `${errors[0]!.field} ${errors[0]!.message}`, errors };
}

type ParsedBody = { body: unknown; schema: unknown; form: boolean } | { problem: Problem };

function parseRequestBody(model: SpecModel, req: IncomingMessage, raw: Buffer, route: Route): ParsedBody {
  const declared = model.requestBody(route);
  if (!declared) return { body: undefined, schema: undefined, form: false };
  if (raw.length === 0) {
    if (declared.required) return { problem: { status: 400, title: "Bad Request", detail: "a request body is required", errors: [{ field: "body", message: "is required" }] } };
    return { body: undefined, schema: undefined, form: false };
  }
  const contentType = (header(req, "content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (isMediaRange(contentType)) {
    // A range says which types a server takes; a body is of one type. Read as text, its fields would be lost without a word.
    return { problem: { status: 415, title: "Unsupported Media Type", detail: `content type "${contentType}" is a media range, not a type: send one of the types it covers (application/json, say)` } };
  }
  const media = contentType === "" ? undefined : (declared.media.get(contentType) ?? [...declared.media.entries()].find(([t]) => mediaTypeMatches(t, contentType))?.[1]);
  if (!media) {
    return { problem: { status: 415, title: "Unsupported Media Type", detail: `content type "${contentType || "(none)"}" is not one of ${declared.contentTypes.join(", ")}` } };
  }
  if (isJsonMediaType(contentType)) {
    try {
      return { body: JSON.parse(raw.toString("utf8")) as unknown, schema: media.schema, form: false };
    } catch (error) {
      return { problem: { status: 400, title: "Bad Request", detail: `the body is not valid JSON: ${(error as Error).message}`, errors: [{ field: "body", message: "is not valid JSON" }] } };
    }
  }
  if (contentType === "application/x-www-form-urlencoded") {
    return { body: bracketDecode(new URLSearchParams(raw.toString("utf8"))), schema: media.schema, form: true };
  }
  return { body: raw.toString("utf8"), schema: undefined, form: false };
}

/** Rejects options no provider could have; returns the explicit quota, if any. */
function checkOptions(options: SimulatorOptions): RateLimitConfig | undefined {
  const positiveInt = (value: number | undefined, name: string) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new SimulatorConfigError(`${name} must be a whole number ≥ 1, got ${String(value)}`);
  };
  positiveInt(options.concurrencyLimit, "concurrencyLimit");
  positiveInt(options.tokenTtlSeconds, "tokenTtlSeconds");
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535)) {
    throw new SimulatorConfigError(`port must be 0-65535, got ${String(options.port)}`);
  }
  if (options.points) {
    positiveInt(options.points.limit, "points.limit");
    if (!Number.isFinite(options.points.windowSeconds) || options.points.windowSeconds <= 0 || options.points.windowSeconds > 86_400) {
      throw new SimulatorConfigError(`points.windowSeconds must be a number from 0 to 86400, got ${String(options.points.windowSeconds)}`);
    }
    for (const [operationId, cost] of Object.entries(options.points.costs ?? {})) {
      if (!Number.isFinite(cost) || cost < 0) throw new SimulatorConfigError(`points.costs.${operationId} must be a number ≥ 0, got ${String(cost)}`);
    }
  }
  if (!options.rateLimit) return undefined;
  const { limit, windowSeconds } = options.rateLimit;
  positiveInt(limit, "rateLimit.limit");
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0 || windowSeconds > 86_400) {
    throw new SimulatorConfigError(`rateLimit.windowSeconds must be a number from 0 to 86400, got ${String(windowSeconds)}`);
  }
  return { limit, windowMs: windowSeconds * 1000 };
}

function rateConfigOf(options: SimulatorOptions, doc: JsonObject): RateLimitConfig | undefined {
  if (options.rateLimit === false) return undefined;
  const hint = doc["x-carewire-rate-limit"];
  if (isObject(hint) && typeof hint.limit === "number" && typeof hint.windowSeconds === "number") {
    return { limit: hint.limit, windowMs: hint.windowSeconds * 1000 };
  }
  return undefined;
}
