/**
 * Contract tests for every operation of a spec: call each one with
 * a request built from the spec's examples (or samples), then check that the status
 * is one the spec declares, the body is valid against the declared schema (tolerantly:
 * extra fields are warnings) and required documented headers are present.
 *
 * Runs against the carewire simulator (started in-process) or against any base URL,
 * e.g. a provider's sandbox; `carewire contract` and `describeContract` wrap it.
 */
import { randomUUID } from "node:crypto";
import { isObject, type JsonObject } from "../codegen/json.js";
import { startSimulator, type Simulator, type SimulatorOptions } from "./simulator/server.js";
import type { OperationDescriptor } from "../runtime/core/operation.js";
import { isJsonMediaType, mediaTypeMatches } from "../runtime/wire/media-type.js";
import { statusKeyFor } from "../runtime/wire/status-key.js";
import { clientCredentialsForm } from "./simulator/auth.js";
import { SpecModel, type Route } from "./simulator/spec-model.js";
import { undeclaredFields } from "./simulator/undeclared.js";

export type ContractCredentials =
  | { readonly token: string }
  | { readonly clientId: string; readonly clientSecret: string; readonly tokenUrl?: string };

export interface ContractOptions {
  /** Server to test. Without it, a simulator for the spec is started in-process. */
  readonly baseUrl?: string;
  /** Options for that in-process simulator. */
  readonly simulator?: Omit<SimulatorOptions, "spec">;
  /** Credentials for operations that need them (default: the simulator's demo client). */
  readonly credentials?: ContractCredentials;
  /** Only these operationIds. */
  readonly operations?: readonly string[];
  /** Per-request timeout, ms. Default 15 000. */
  readonly timeoutMs?: number;
  /** Longest Retry-After the runner waits out on a 429/503 before giving up on an operation. Default 30 s. */
  readonly maxRetryAfterSeconds?: number;
}

export interface ContractCheck {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly ok: boolean;
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
  let simulator: Simulator | undefined;
  let baseUrl = options.baseUrl?.replace(/\/+$/, "");
  if (baseUrl === undefined) {
    simulator = await startSimulator({ spec, ...options.simulator });
    baseUrl = simulator.url;
  }
  const validator = model.validator;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 30;
  const credentials: ContractCredentials = options.credentials ?? { clientId: "carewire-demo", clientSecret: "carewire-demo-secret" };
  const createdIds = new Map<string, string>();
  let token: string | undefined;

  const wanted = options.operations ? new Set(options.operations) : undefined;
  // Document order, so creates run before the reads that use what they created.
  const routes = model.documentOrder.filter((r) => !wanted || wanted.has(r.op.operationId));

  async function bearer(): Promise<string | undefined> {
    if ("token" in credentials) return credentials.token;
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

  async function check(route: Route): Promise<ContractCheck> {
    const started = performance.now();
    const problems: string[] = [];
    const warnings: string[] = [];
    const { op } = route;
    let status: number | null = null;
    const result = () => ({ operationId: op.operationId, method: op.method.toUpperCase(), path: op.path, status, ok: problems.length === 0, problems, warnings, durationMs: performance.now() - started });

    const request = buildRequest(model, route, createdIds);
    if (op.path === model.tokenPath && op.method === "post" && "clientId" in credentials) {
      request.body = clientCredentialsForm(credentials.clientId, credentials.clientSecret).toString();
      request.headers["content-type"] = "application/x-www-form-urlencoded";
    } else if (op.security === "required") {
      const t = await bearer();
      if (t) request.headers.authorization = `Bearer ${t}`;
    }
    if (op.hints.idempotency || op.safety === "unsafe") request.headers[op.hints.idempotency?.header ?? "Idempotency-Key"] = `contract-${randomUUID()}`;

    let response: Response;
    let text: string;
    try {
      response = await sendWithRetry(() =>
        fetch(`${baseUrl}${request.path}`, {
          method: op.method.toUpperCase(),
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      text = await response.text();
    } catch (error) {
      problems.push(`request failed: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
      return result();
    }
    status = response.status;

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
    const contentType = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
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
          return result();
        }
        const { raw } = validator.validateValue(schema, body, { base: "body" });
        for (const error of raw) {
          // Tolerant reading: fields the spec does not list are drift, not a broken contract.
          if (error.keyword === "additionalProperties") continue;
          problems.push(`body${error.instancePath.replace(/\//g, ".")} ${error.message ?? "is invalid"}`);
        }
        for (const field of undeclaredFields(model.doc, schema, body)) warnings.push(`${field} is not declared by the spec`);
        rememberCreated(route, status, body);
      }
    }
    return result();
  }

  function rememberCreated(route: Route, status: number, body: unknown): void {
    if (route.op.method !== "post" || status < 200 || status >= 300 || !isObject(body)) return;
    const id = body.id;
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
    const passed = checks.filter((c) => c.ok).length;
    return { spec, baseUrl: session.baseUrl, checks, passed, failed: checks.length - passed };
  } finally {
    await session.close();
  }
}

interface BuiltRequest {
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** A request from the spec's own examples: every path parameter, the required query and header ones, a body. */
function buildRequest(model: SpecModel, route: Route, createdIds: ReadonlyMap<string, string>): BuiltRequest {
  const { op } = route;
  const headers: Record<string, string> = { accept: "application/json, */*;q=0.5" };
  const query = new URLSearchParams();
  const pathValues: Record<string, string> = {};
  const collection = /^(.*)\/\{([^{}]+)\}(?:\/[^{}/]+)?$/.exec(op.path);
  for (const param of route.entry.parameterObjects) {
    const name = String(param.name);
    const location = String(param.in);
    if (location !== "path" && param.required !== true) continue;
    let value: unknown = model.exampleOf(parameterMedia(param));
    // Prefer an id this run created, so reads and updates hit a real resource.
    if (location === "path" && collection && collection[2] === name && createdIds.has(collection[1]!)) value = createdIds.get(collection[1]!);
    const text = Array.isArray(value) ? value.map(String).join(",") : value === undefined || value === null ? "1" : typeof value === "object" ? JSON.stringify(value) : String(value);
    if (location === "path") pathValues[name] = text;
    else if (location === "query") query.set(name, text);
    else if (location === "header" && name.toLowerCase() !== "authorization") headers[name] = text;
  }
  const path = op.path.replace(/\{([^{}]+)\}/g, (_m, name: string) => encodeURIComponent(pathValues[name] ?? "1"));
  const search = query.toString();
  const built: BuiltRequest = { path: search ? `${path}?${search}` : path, headers };
  const sample = op.method === "get" || op.method === "head" ? undefined : model.requestSample(route);
  if (sample && sample.body !== undefined) {
    headers["content-type"] = sample.contentType;
    if (sample.contentType === "application/x-www-form-urlencoded" && isObject(sample.body)) {
      built.body = new URLSearchParams(Object.entries(sample.body).map(([k, v]): [string, string] => [k, String(v)])).toString();
    } else built.body = typeof sample.body === "string" && !/json/.test(sample.contentType) ? sample.body : JSON.stringify(sample.body);
  }
  return built;
}

function parameterMedia(param: JsonObject): JsonObject {
  const media: JsonObject = {};
  if (param.example !== undefined) media.example = param.example;
  if (param.examples !== undefined) media.examples = param.examples;
  if (param.schema !== undefined) media.schema = param.schema;
  return media;
}
