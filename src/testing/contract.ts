/**
 * Contract tests for every operation of a spec: call each one with
 * a request built from the spec's examples (or samples), then check that the status
 * is one the spec declares, the body is valid against the declared schema (tolerantly:
 * extra fields are warnings) and required documented headers are present.
 * An operation whose request the server refuses is "not exercised", never passed:
 * a 400 to a stale example proves nothing about the operation.
 *
 * Runs against the carewire simulator (started in-process) or against any base URL,
 * e.g. a provider's sandbox; `carewire contract` and `describeContract` wrap it.
 */
import { randomUUID } from "node:crypto";
import { isObject } from "../codegen/json.js";
import { SimulatorConfigError, startSimulator, type Simulator, type SimulatorOptions } from "./simulator/server.js";
import type { OperationDescriptor } from "../runtime/core/operation.js";
import { isJsonMediaType, mediaTypeMatches } from "../runtime/wire/media-type.js";
import { statusKeyFor } from "../runtime/wire/status-key.js";
import { clientCredentialsForm } from "./simulator/auth.js";
import { ResourceCatalog } from "./simulator/resources.js";
import { SpecModel, type Route } from "./simulator/spec-model.js";
import type { ErrorKind } from "../runtime/core/errors.js";
import { buildRequest, withApiKey, type RequestSource } from "./contract-request.js";
import { apiKeysFor, chooseCredentials, defaultCredentials, type ContractCredentials } from "./contract-credentials.js";
import { refusalReason, serverMessage } from "./contract-refusal.js";
import { undeclaredFields } from "./simulator/undeclared.js";


export interface ContractOptions {
  /** Server to test. Without it, a simulator for the spec is started in-process. */
  readonly baseUrl?: string;
  /** Options for that in-process simulator. */
  readonly simulator?: Omit<SimulatorOptions, "spec">;
  /**
   * Credentials for operations that need them. Default: the simulator's demo client, but only
   * where a simulator is what answers (the one this run starts, or a server on a loopback
   * address); a remote server gets none unless given, never the demo secret.
   */
  readonly credentials?: ContractCredentials;
  /** Only these operationIds. */
  readonly operations?: readonly string[];
  /** Per-request timeout, ms. Default 15 000. */
  readonly timeoutMs?: number;
  /** Longest Retry-After the runner waits out on a 429/503 before giving up on an operation. Default 30 s. */
  readonly maxRetryAfterSeconds?: number;
  /** Count an operation the server never let the runner exercise as a failure (describeContract). */
  readonly strict?: boolean;
}

/**
 * `failed`: the server answered something the spec does not allow, or nothing at all.
 * `not-exercised`: the request was refused (4xx), or the server failed in a way the spec
 * declares (5xx), so there was no answer to the operation itself to check.
 */
export type ContractOutcome = "passed" | "failed" | "not-exercised";

interface NoResponse {
  readonly kind: ErrorKind;
  readonly detail: string;
  /** The system error code of a failed connection (`ECONNREFUSED`, `ENOTFOUND`, …). */
  readonly code?: string;
}

type Sent = { readonly response: Response; readonly text: string } | { readonly noResponse: NoResponse };

export interface ContractCheck {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly outcome: ContractOutcome;
  /** Passed: exercised, and the answer kept the contract. */
  readonly ok: boolean;
  /** Which request was checked: the spec's examples, or the schema's required fields after the examples were refused. */
  readonly request: RequestSource;
  /** Why the operation was not exercised. */
  readonly reason?: string;
  /** Why there was no answer (timeout, network, …). */
  readonly noResponse?: ErrorKind;
  /** The system error code when the connection failed (`ECONNREFUSED`: nothing listens there). */
  readonly noResponseCode?: string;
  /** Contract violations. */
  readonly problems: readonly string[];
  /** Tolerated drift (extra fields, undocumented optional headers missing). */
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

export interface ContractReport {
  readonly spec: string;
  readonly baseUrl: string;
  readonly checks: readonly ContractCheck[];
  readonly passed: number;
  readonly failed: number;
  readonly notExercised: number;
}

export interface ContractSession {
  readonly baseUrl: string;
  /** The operations to check, in document order. */
  readonly operations: readonly OperationDescriptor[];
  check(operationId: string): Promise<ContractCheck>;
  close(): Promise<void>;
}

export async function openContractSession(spec: string, options: ContractOptions = {}): Promise<ContractSession> {
  const model = await SpecModel.load(spec);
  // A mistyped operation id would make a run that checks nothing and passes.
  if (options.operations !== undefined) unknownOperations(model, spec, options.operations);
  // The demo client only where a simulator answers: the one started here, or one on a loopback address.
  const credentials = options.credentials ?? defaultCredentials(options.baseUrl ?? "", options.baseUrl === undefined);
  const apiKeyOf = apiKeysFor(spec, model.apiKeySchemes, credentials?.apiKey);
  const hasToken = credentials?.token !== undefined || credentials?.clientId !== undefined;
  let simulator: Simulator | undefined;
  let baseUrl = options.baseUrl?.replace(/\/+$/, "");
  if (baseUrl === undefined) {
    simulator = await startSimulator({ spec, ...options.simulator });
    baseUrl = simulator.url;
  }
  const validator = model.validator;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 30;
  const createdIds = new Map<string, string>();
  let token: string | undefined;

  const wanted = options.operations ? new Set(options.operations) : undefined;
  // Document order, so creates run before the reads that use what they created; deletes last,
  // so a resource a delete removed is not asked for again by an operation listed after it, and
  // the deepest paths first, so a sub-resource goes before the resource it belongs to.
  const chosen = model.documentOrder.filter((r) => !wanted || wanted.has(r.op.operationId));
  const depth = (r: Route) => r.op.path.split("/").length;
  const deletes = chosen.filter((r) => r.op.method === "delete").sort((a, b) => depth(b) - depth(a));
  const routes = [...chosen.filter((r) => r.op.method !== "delete"), ...deletes];
  const catalog = new ResourceCatalog(model);

  async function bearer(): Promise<string | undefined> {
    if (credentials === undefined) return undefined;
    if (credentials.token !== undefined) return credentials.token;
    if (credentials.clientId === undefined) return undefined;
    if (token !== undefined) return token;
    const tokenUrl = credentials.tokenUrl ?? `${baseUrl}${model.tokenPath}`;
    const response = await sendWithRetry(() =>
      fetch(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: clientCredentialsForm(credentials.clientId, credentials.clientSecret),
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
    const json = (await response.json().catch(() => ({}))) as { access_token?: string };
    token = json.access_token;
    return token;
  }

  async function sendWithRetry(send: () => Promise<Response>): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const response = await send();
      const retryAfter = Number(response.headers.get("retry-after"));
      if ((response.status === 429 || response.status === 503) && attempt < 3 && Number.isFinite(retryAfter) && retryAfter > 0 && retryAfter <= maxRetryAfter) {
        await response.arrayBuffer();
        await new Promise((r) => setTimeout(r, retryAfter * 1000));
        continue;
      }
      return response;
    }
  }

  async function send(route: Route, source: RequestSource): Promise<Sent> {
    const { op } = route;
    const request = buildRequest(model, route, createdIds, source);
    if (op.path === model.tokenPath && op.method === "post" && credentials?.clientId !== undefined) {
      request.body = clientCredentialsForm(credentials.clientId, credentials.clientSecret).toString();
      request.headers["content-type"] = "application/x-www-form-urlencoded";
    } else {
      // One of the operation's credential sets, whole: every API key it names, where its scheme puts it, and a token if it takes one.
      const chosen = chooseCredentials(model.credentialsFor(route), hasToken, apiKeyOf);
      for (const [key, value] of chosen.apiKeys) withApiKey(request, key, value);
      const t = chosen.bearer ? await bearer().catch(() => undefined) : undefined;
      if (t) request.headers.authorization = `Bearer ${t}`;
    }
    // A fresh key per request: a second request with another body must not replay the first.
    if (op.hints.idempotency || op.safety === "unsafe") request.headers[op.hints.idempotency?.header ?? "Idempotency-Key"] = `contract-${randomUUID()}`;
    try {
      const response = await sendWithRetry(() =>
        fetch(`${baseUrl}${request.path}`, {
          method: op.method.toUpperCase(),
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      return { response, text: await response.text() };
    } catch (error) {
      return { noResponse: noResponseOf(error, timeoutMs) };
    }
  }

  async function check(route: Route): Promise<ContractCheck> {
    const started = performance.now();
    const { op } = route;
    let source: RequestSource = "examples";
    let sent = await send(route, source);
    let alsoRefused: number | undefined;
    // Examples that the server turns down say nothing about the server; try the minimal valid request.
    if ("response" in sent && isRefusal(sent.response.status) && ![401, 403, 429].includes(sent.response.status)) {
      const again = await send(route, "schema");
      if ("response" in again && isRefusal(again.response.status)) alsoRefused = again.response.status;
      else {
        sent = again;
        source = "schema";
      }
    }
    const base = { operationId: op.operationId, method: op.method.toUpperCase(), path: op.path, request: source };
    const done = (outcome: ContractOutcome, status: number | null, problems: readonly string[], warnings: readonly string[], extra: { reason?: string; noResponse?: ErrorKind; noResponseCode?: string } = {}): ContractCheck => ({
      ...base,
      status,
      outcome,
      ok: outcome === "passed",
      problems: unique(problems),
      warnings: unique(warnings),
      ...extra,
      durationMs: performance.now() - started,
    });

    if ("noResponse" in sent) {
      // No answer at all is something every caller of this operation would meet.
      const { kind, detail, code } = sent.noResponse;
      return done("failed", null, [`no response (${kind}): ${detail}`], [], { noResponse: kind, ...(code !== undefined ? { noResponseCode: code } : {}) });
    }
    const { response, text } = sent;
    const status = response.status;
    const { problems, warnings } = evaluate(route, response, text);
    if (isRefusal(status)) {
      // The request was turned down, so the operation's contract was never reached. What the
      // refusal itself looks like is worth knowing, but the request may be the one at fault.
      let reason = refusalReason(status, text, options.credentials !== undefined ? "given" : credentials !== undefined ? "demo" : "none");
      if (alsoRefused !== undefined) reason += `; a request with only the schema's required fields was refused too (${alsoRefused})`;
      return done("not-exercised", status, [], [...problems, ...warnings], { reason });
    }
    if (problems.length > 0) return done("failed", status, problems, warnings);
    if (status >= 500) {
      // A declared server error honours the contract but exercises nothing.
      const said = serverMessage(text);
      return done("not-exercised", status, [], warnings, { reason: `the server failed with ${status}${said ? ` (the server said: ${said})` : ""}` });
    }
    rememberCreated(route, status, jsonBody(response, text));
    return done("passed", status, [], warnings);
  }

  /** Status, headers and body against what the spec declares for them. */
  function evaluate(route: Route, response: Response, text: string): { problems: string[]; warnings: string[] } {
    const problems: string[] = [];
    const warnings: string[] = [];
    const { op } = route;
    const status = response.status;
    const declared = Object.keys(op.responses);
    const statusKey = statusKeyFor(status, declared);
    if (declared.length > 0 && statusKey === undefined) {
      // A spec that declares no success response at all is the spec's defect, not the server's.
      const noSuccessDeclared = !declared.some((d) => d.startsWith("2"));
      if (noSuccessDeclared && status >= 200 && status < 300) warnings.push(`status ${status}: the spec declares no success response (declared: ${declared.join(", ")})`);
      else problems.push(`status ${status} is not declared (declared: ${declared.join(", ")})`);
    }

    const response_ = model.responseFor(route, status);
    if (response_ && isObject(response_.headers)) {
      for (const [name, raw] of Object.entries(response_.headers)) {
        if (name.toLowerCase() === "content-type" || response.headers.has(name)) continue;
        if (isObject(raw) && raw.required === true) problems.push(`documented header ${name} is missing`);
        else warnings.push(`documented header ${name} not sent`);
      }
    }
    const media = response_ && isObject(response_.content) ? response_.content : undefined;
    const contentType = contentTypeOf(response);
    if (media && text.length > 0 && status !== 204 && status !== 304) {
      const declaredTypes = Object.keys(media).map((t) => t.toLowerCase());
      const jsonDeclared = declaredTypes.find((t) => isJsonMediaType(t));
      if (contentType && !declaredTypes.some((t) => mediaTypeMatches(t, contentType))) {
        // A maintenance page where JSON is declared is a broken contract; another declared type is drift.
        if (jsonDeclared && !isJsonMediaType(contentType)) problems.push(`the ${status} body is ${contentType}, the spec declares ${declaredTypes.join(", ")}`);
        else warnings.push(`content type ${contentType} is not declared for ${status} (declared: ${declaredTypes.join(", ")})`);
      }
      const mediaObject = media[contentType] ?? (jsonDeclared ? media[jsonDeclared] : Object.values(media)[0]);
      const schema = isObject(mediaObject) ? mediaObject.schema : undefined;
      // Without a content type, a body where JSON is declared is still read as JSON.
      if (schema !== undefined && (isJsonMediaType(contentType) || (contentType === "" && jsonDeclared))) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          problems.push(`the ${status} body is not valid JSON`);
          return { problems, warnings };
        }
        const { raw } = validator.validateValue(schema, body, { base: "body" });
        for (const error of raw) {
          // Tolerant reading: fields the spec does not list are drift, not a broken contract.
          if (error.keyword === "additionalProperties") continue;
          problems.push(`body${error.instancePath.replace(/\//g, ".")} ${error.message ?? "is invalid"}`);
        }
        for (const field of undeclaredFields(model.doc, schema, body)) warnings.push(`${field} is not declared by the spec`);
      }
    }
    return { problems, warnings };
  }

  function rememberCreated(route: Route, status: number, body: unknown): void {
    if (route.op.method !== "post" || status < 200 || status >= 300 || !isObject(body)) return;
    // The id as the spec shapes the resource (`data.gid`, `sid`, a team's `slug`), else a top-level `id`.
    const shaped = catalog.createdIdOf(route, body);
    const id = shaped ?? body.id;
    if (typeof id === "string" || typeof id === "number") createdIds.set(route.op.path, String(id));
  }

  return {
    baseUrl,
    operations: routes.map((r) => r.op),
    check(operationId: string) {
      const route = routes.find((r) => r.op.operationId === operationId);
      if (!route) return Promise.reject(new Error(`no operation ${operationId} in ${spec}`));
      return check(route);
    },
    async close() {
      await simulator?.close();
    },
  };
}

export async function runContract(spec: string, options: ContractOptions = {}): Promise<ContractReport> {
  const session = await openContractSession(spec, options);
  try {
    const checks: ContractCheck[] = [];
    for (const op of session.operations) checks.push(await session.check(op.operationId));
    const count = (outcome: ContractOutcome) => checks.filter((c) => c.outcome === outcome).length;
    return { spec, baseUrl: session.baseUrl, checks, passed: count("passed"), failed: count("failed"), notExercised: count("not-exercised") };
  } finally {
    await session.close();
  }
}

function isRefusal(status: number): boolean {
  return status >= 400 && status < 500;
}

function contentTypeOf(response: Response): string {
  return response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
}

function jsonBody(response: Response, text: string): unknown {
  const type = contentTypeOf(response);
  if (type !== "" && !isJsonMediaType(type)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why a request got no answer: the same kinds a carewire client's errors carry. */
function noResponseOf(error: unknown, timeoutMs: number): NoResponse {
  // By name, not instanceof: fetch's errors may come from another realm (a test runner's sandbox).
  const name = isObject(error) && typeof error.name === "string" ? error.name : "";
  if (name === "TimeoutError") return { kind: "timeout", detail: `no answer within ${timeoutMs} ms` };
  if (name === "AbortError") return { kind: "aborted", detail: "the request was aborted" };
  const cause = isObject(error) ? error.cause : undefined;
  if (name === "TypeError" || isObject(cause)) {
    // The system error code (ECONNREFUSED, ECONNRESET, …) says what happened without echoing a URL.
    const code = isObject(cause) && typeof cause.code === "string" ? cause.code : undefined;
    const message = isObject(cause) && typeof cause.message === "string" ? cause.message : undefined;
    return { kind: "network", detail: code ?? message ?? "the connection failed", ...(code !== undefined ? { code } : {}) };
  }
  return { kind: "unexpected", detail: error instanceof Error ? error.message : String(error) };
}

function unique(lines: readonly string[]): string[] {
  return [...new Set(lines)];
}

/** Refuses operation ids the spec does not have, naming the one meant where only the case differs. */
function unknownOperations(model: SpecModel, spec: string, operations: readonly string[]): void {
  const known = model.documentOrder.map((r) => r.op.operationId);
  const unknown = operations.filter((id) => !known.includes(id));
  if (unknown.length === 0) return;
  const meant = unknown.map((id) => known.find((k) => k.toLowerCase() === id.toLowerCase())).filter((k): k is string => k !== undefined);
  const names = unknown.map((id) => `"${id}"`).join(", ");
  const hint = meant.length > 0 ? `did you mean ${meant.map((k) => `"${k}"`).join(", ")}?` : `it has ${known.length}, as ${known.slice(0, 3).map((k) => `"${k}"`).join(", ")}${known.length > 3 ? ", …" : ""}`;
  throw new SimulatorConfigError(`${spec} has no operation ${names} (${hint})`);
}
