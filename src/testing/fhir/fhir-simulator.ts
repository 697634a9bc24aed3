/**
 * A FHIR R4 provider simulator serving a CapabilityStatement (`carewire/testing`): the
 * declared resources and interactions, paging with `link[next]`, conditional create,
 * If-Match, JSON Patch, transactions with `urn:uuid` references, Bulk Data `$export`, and the same
 * rate limit and fault behaviour as the OpenAPI simulator (a sliding window per
 * client, Retry-After in seconds; scripted or seeded faults, including a connection reset
 * after the write was committed).
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { loadCapability } from "../../codegen/fhir/capability.js";
import { fhirSchemaIssues } from "../../fhir/fhir-schema.js";
import { simulatorClock, type SimulatorClock } from "../simulator/clock.js";
import { answerCors } from "../simulator/cors.js";
import { FaultInjector, type Fault, type FaultControls, type FaultPlan } from "../simulator/faults.js";
import { listenTracked, MAX_BODY_BYTES, readBody, send as sendWire } from "../simulator/http-io.js";
import { BulkExports, type BulkOptions } from "./bulk.js";
import { FhirQuotas, type FhirPointsOptions } from "./fhir-quotas.js";
import { applyJsonPatch } from "../simulator/json-patch.js";
import { lastUpdatedTest, sortByLastUpdated } from "./last-updated.js";
import { FhirStore, supportsParam, type StoredResource } from "./fhir-store.js";
import { SubscriptionEngine, type SubscriptionControls } from "./subscription-engine.js";
import { withSubscriptions, type Declared } from "./subscription-capability.js";
import type { SubscriptionSimulatorOptions } from "./subscription-topics.js";
import { holdsVersion, isCurrentVersion } from "./version-match.js";

export interface FhirSimulatorOptions {
  /** Path to the CapabilityStatement (JSON) to serve. */
  readonly capability: string;
  readonly port?: number;
  /** Requests per client (by Authorization header) in a sliding window; default none. */
  readonly rateLimit?: { readonly limit: number; readonly windowSeconds: number } | false;
  /**
   * A points quota per client beside the request count, as FHIR servers meter load: each
   * interaction spends its price (read 1, history 10, search 20, write 100; a batch or
   * transaction what its entries cost), named `fhirInteractions` in the RateLimit fields
   * unless `name` says otherwise. Over it: 429 with Retry-After, spending nothing.
   */
  readonly points?: FhirPointsOptions;
  /** Send RateLimit / RateLimit-Policy (one policy per quota) with every answer. Default: with a points quota. */
  readonly rateLimitHeaders?: boolean;
  /** Faults by interaction (`Patient.create`, `transaction`, `export-status`, `*`…). */
  readonly faults?: FaultPlan;
  readonly seed?: number;
  /** Page size when the client sends no `_count`. Default 20 (at most 100). */
  readonly defaultPageSize?: number;
  readonly bulk?: BulkOptions;
  /**
   * How a transaction Bundle runs: all or nothing (default), or entry by entry as some
   * servers do, answering 200 with each entry's own status (a failed entry undoes nothing).
   * A batch always runs entry by entry.
   */
  readonly transactions?: "atomic" | "entry-by-entry";
  /**
   * Check each written resource (create, update, transaction and batch entries) against the R4
   * schema, answering 422 with an OperationOutcome naming each violation (an unknown element,
   * a code outside its value set, a malformed date), as a validating server does. Default true.
   */
  readonly validateResources?: boolean;
  /** Time for the quota window, versions and exports, as the OpenAPI simulator takes it (its `sleep` times latency faults). */
  readonly clock?: (() => number) | SimulatorClock;
  /**
   * Topic-based Subscriptions (rest-hook): the topics offered (advertised in the
   * CapabilityStatement), notifications on the simulator's clock, heartbeats, `$status`,
   * `$events`, and delivery faults. Subscription is then served whether declared or not.
   */
  readonly subscriptions?: SubscriptionSimulatorOptions;
}

export interface FhirSimulator {
  /** The FHIR base URL (no trailing slash). */
  readonly url: string;
  readonly store: FhirStore;
  readonly faults: FaultControls;
  /** Requests served, 429s among them, and the points admitted requests spent. */
  readonly counters: { requests: number; throttled: number; faults: number; points: number };
  /** The subscription engine's counters and knobs; undefined without the `subscriptions` option. */
  readonly subscriptions: SubscriptionControls | undefined;
  close(): Promise<void>;
}

const FHIR_JSON = "application/fhir+json";

function outcome(code: string, diagnostics: string, severity: "error" | "fatal" | "warning" = "error") {
  return { resourceType: "OperationOutcome", issue: [{ severity, code, diagnostics }] };
}

/** A 422's OperationOutcome: one issue per schema violation, each with its path. */
function invalidResource(issues: ReadonlyArray<{ path: string; code: string; message: string }>) {
  return {
    resourceType: "OperationOutcome",
    issue: issues.map((issue) => ({
      severity: "error",
      // An element the schema does not have is a structure problem; anything else, a bad value.
      code: issue.code === "additionalProperties" ? "structure" : issue.code === "required" ? "required" : "value",
      diagnostics: `${issue.path}: ${issue.message}`,
      expression: [issue.path.replace(/^\$\.?/, "")],
    })),
  };
}

export async function startFhirSimulator(options: FhirSimulatorOptions): Promise<FhirSimulator> {
  // The same reading (and the same typed errors for a malformed statement) as codegen's.
  const capability = await loadCapability(options.capability);
  const validating = options.validateResources ?? true;
  /** A written resource's R4 schema violations (none when validation is off). */
  const checkResource = (resource: unknown) => (validating ? fhirSchemaIssues(resource) : []);
  const declared = new Map<string, Declared>(capability.resources.map((r) => [r.type, { interactions: new Set(r.interactions), params: new Set(r.searchParams.map((p) => p.name)) }]));
  const systemInteractions = new Set<string>(capability.system);
  const exportDeclared = capability.operations.includes("export");

  const time = simulatorClock(options.clock);
  const clock = time.now;
  const store = new FhirStore(clock);
  const faults = new FaultInjector(options.seed ?? 1, options.faults ?? {});
  const quotas = new FhirQuotas(options);
  const counters = { requests: 0, throttled: 0, faults: 0, get points() { return quotas.points; } };
  let base = "";
  const bulk = new BulkExports(store, () => base, options.bulk ?? {}, clock);
  const engine = options.subscriptions && new SubscriptionEngine(options.subscriptions, store, time, () => base);
  const capabilityDocument = engine ? withSubscriptions(capability.document, options.subscriptions!, declared) : capability.document;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => sendWire(res, { status, headers: { "content-type": FHIR_JSON }, body: JSON.stringify(body) }, headers);
  const withEtag = (r: StoredResource) => ({ etag: `W/"${r.meta?.versionId ?? "1"}"`, "last-modified": new Date(r.meta?.lastUpdated ?? clock()).toUTCString() });

  /** Conditional create: the search in If-None-Exist decides. */
  function existing(type: string, condition: string | undefined): StoredResource[] | undefined {
    if (!condition) return undefined;
    return store.search(type, [...new URLSearchParams(condition)]);
  }

  /** One write, as in a transaction entry or a plain request; returns status and resource. */
  function write(method: "POST" | "PUT", type: string, id: string | undefined, resource: StoredResource, ifNoneExist?: string, ifMatch?: string): { status: number; resource?: StoredResource; outcome?: object } {
    if (resource?.resourceType !== type) return { status: 400, outcome: outcome("invalid", `body must be a ${type}`) };
    const issues = checkResource(resource);
    if (issues.length > 0) return { status: 422, outcome: invalidResource(issues) };
    if (method === "POST") {
      const matches = existing(type, ifNoneExist);
      if (matches && matches.length > 1) return { status: 412, outcome: outcome("multiple-matches", `If-None-Exist matched ${matches.length} resources`) };
      if (matches && matches.length === 1) return { status: 200, resource: matches[0]! };
      return { status: 201, resource: store.put({ ...resource, id: store.newId() }) };
    }
    const current = store.read(type, id!);
    if (ifMatch !== undefined && !isCurrentVersion(current, ifMatch)) {
      return { status: 412, outcome: outcome("conflict", `${ifMatch} is not the current version${current ? ` (current: ${current.meta?.versionId})` : ""}`) };
    }
    return { status: current ? 200 : 201, resource: store.put({ ...resource, id: id! }) };
  }

  /** Rewrites every `urn:uuid:` reference of a transaction to the id it was given. */
  function resolveReferences(value: unknown, ids: ReadonlyMap<string, string>): unknown {
    if (Array.isArray(value)) return value.map((v) => resolveReferences(v, ids));
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === "reference" && typeof v === "string" && ids.has(v) ? ids.get(v) : resolveReferences(v, ids);
    return out;
  }

  type BundleIn = { type?: string; entry?: Array<{ fullUrl?: string; resource?: StoredResource; request?: { method?: string; url?: string; ifNoneExist?: string; ifMatch?: string } }> };

  /** A batch, or a transaction on a server that runs one entry at a time: each entry succeeds or fails alone. */
  function entryByEntry(bundle: BundleIn): { status: number; body: unknown } {
    const ids = new Map<string, string>();
    const response = (bundle.entry ?? []).map((e) => {
      const method = (e.request?.method ?? "").toUpperCase();
      const [type, id] = (e.request?.url ?? "").split("?")[0]!.split("/");
      if (!type || !declared.has(type)) return { response: { status: "400 Bad Request", outcome: outcome("not-supported", `${type ?? ""} is not served`) } };
      if (method === "GET") return readEntry(type, id, e.request?.url ?? "");
      if (method === "DELETE") {
        store.delete(type, id ?? "");
        return { response: { status: "204 No Content" } };
      }
      if (method !== "POST" && method !== "PUT") return { response: { status: "400 Bad Request", outcome: outcome("not-supported", `${method} in a Bundle`) } };
      const resource = resolveReferences(e.resource, ids) as StoredResource;
      const result = write(method, type, id, resource, e.request?.ifNoneExist, e.request?.ifMatch);
      if (!result.resource) return { response: { status: `${result.status} ${result.status === 412 ? "Precondition Failed" : "Bad Request"}`, outcome: result.outcome } };
      if (e.fullUrl) ids.set(e.fullUrl, `${type}/${result.resource.id}`);
      return { resource: result.resource, response: { status: result.status === 201 ? "201 Created" : "200 OK", location: `${type}/${result.resource.id}/_history/${result.resource.meta?.versionId}`, etag: `W/"${result.resource.meta?.versionId ?? "1"}"` } };
    });
    return { status: 200, body: { resourceType: "Bundle", type: `${bundle.type ?? "transaction"}-response`, entry: response } };
  }

  function transaction(bundle: BundleIn): { status: number; body: unknown } {
    if (bundle.type === "batch" || options.transactions === "entry-by-entry") return entryByEntry(bundle);
    const entries = bundle.entry ?? [];
    // Pass 1: ids for creates (a conditional create that matches takes the existing id).
    const ids = new Map<string, string>();
    const plans = entries.map((e) => {
      const method = (e.request?.method ?? "").toUpperCase();
      const [type, id] = (e.request?.url ?? "").split("?")[0]!.split("/");
      if (method === "POST" && e.resource) {
        const match = existing(type!, e.request?.ifNoneExist);
        const assigned = match?.length === 1 ? match[0]!.id : store.newId();
        if (e.fullUrl) ids.set(e.fullUrl, `${type}/${assigned}`);
        return { method, type: type!, id: assigned, matched: match?.length === 1, entry: e };
      }
      return { method, type: type!, id, matched: false, entry: e };
    });
    // Pass 2: check everything before changing anything (all or nothing).
    for (const p of plans) {
      if (!declared.has(p.type)) return { status: 400, body: outcome("not-supported", `${p.type} is not served`) };
      if (p.method === "PUT" && p.entry.request?.ifMatch !== undefined && !isCurrentVersion(store.read(p.type, p.id ?? ""), p.entry.request.ifMatch)) {
        return { status: 412, body: outcome("conflict", `${p.type}/${p.id} changed since version ${p.entry.request.ifMatch}`) };
      }
      if ((p.method === "POST" || p.method === "PUT") && p.entry.resource?.resourceType !== p.type) return { status: 400, body: outcome("invalid", `entry for ${p.type} carries no ${p.type}`) };
      const issues = p.method === "POST" || p.method === "PUT" ? checkResource(p.entry.resource) : [];
      if (issues.length > 0) return { status: 422, body: invalidResource(issues) };
    }
    const response = plans.map((p) => {
      const resource = resolveReferences(p.entry.resource, ids) as StoredResource | undefined;
      if (p.method === "POST" && p.matched) {
        const found = store.read(p.type, p.id!)!;
        return { resource: found, response: { status: "200 OK", location: `${p.type}/${found.id}/_history/${found.meta?.versionId}` } };
      }
      if ((p.method === "POST" || p.method === "PUT") && resource) {
        const created = !store.read(p.type, p.id!);
        const stored = store.put({ ...resource, id: p.id! });
        return { resource: stored, response: { status: created ? "201 Created" : "200 OK", location: `${p.type}/${stored.id}/_history/${stored.meta?.versionId}` } };
      }
      if (p.method === "DELETE") {
        store.delete(p.type, p.id ?? "");
        return { response: { status: "204 No Content" } };
      }
      if (p.method === "GET") return readEntry(p.type, p.id, p.entry.request?.url ?? "");
      return { response: { status: "400 Bad Request" }, resource: outcome("not-supported", `${p.method} ${p.entry.request?.url ?? ""}`) };
    });
    return { status: 200, body: { resourceType: "Bundle", type: `${bundle.type ?? "transaction"}-response`, entry: response } };
  }

  /** A read or a search inside a transaction or batch, answered as that entry's response. */
  function readEntry(type: string, id: string | undefined, requestUrl: string): { resource?: unknown; response: { status: string; etag?: string } } {
    if (id !== undefined && id.length > 0) {
      const bare = id.split("?")[0]!;
      const found = store.read(type, bare);
      if (found) return { resource: found, response: { status: "200 OK", etag: `W/"${found.meta?.versionId ?? "1"}"` } };
      return store.deleted(type, bare) ? { response: { status: "410 Gone" }, resource: outcome("deleted", `${type}/${id} was deleted`) } : { response: { status: "404 Not Found" }, resource: outcome("not-found", `${type}/${id} is not known`) };
    }
    const page = searchPage(type, new URL(`${base}/${requestUrl}`));
    return { resource: page.body, response: { status: page.status === 200 ? "200 OK" : `${page.status} Bad Request` } };
  }

  function searchPage(type: string, url: URL): { status: number; body: unknown } {
    const params: Array<[string, string]> = [];
    for (const [name, value] of url.searchParams) {
      const bare = name.split(":")[0]!;
      if (name.startsWith("_") && ["_count", "_offset", "_sort", "_summary", "_elements", "_total", "_include", "_revinclude", "_lastUpdated"].includes(bare)) continue;
      if (!declared.get(type)!.params.has(bare)) return { status: 400, body: outcome("not-supported", `${type} has no search parameter "${bare}"`) };
      if (supportsParam(bare)) params.push([name, value]);
    }
    const count = Math.min(100, Math.max(1, Number(url.searchParams.get("_count") ?? options.defaultPageSize ?? 20) || 20));
    const offset = Math.max(0, Number(url.searchParams.get("_offset") ?? 0) || 0);
    const changed = lastUpdatedTest(url.searchParams.getAll("_lastUpdated"));
    if ("error" in changed) return { status: 400, body: outcome("invalid", changed.error) };
    const matches = sortByLastUpdated(store.search(type, params).filter(changed), url.searchParams.get("_sort"));
    const page = matches.slice(offset, offset + count);
    const link = [{ relation: "self", url: `${base}/${type}${url.search}` }];
    if (offset + count < matches.length) {
      const next = new URLSearchParams(url.searchParams);
      next.set("_offset", String(offset + count));
      next.set("_count", String(count));
      link.push({ relation: "next", url: `${base}/${type}?${next}` });
    }
    return { status: 200, body: { resourceType: "Bundle", type: "searchset", total: matches.length, link, entry: page.map((r) => ({ fullUrl: `${base}/${type}/${r.id}`, resource: r, search: { mode: "match" } })) } };
  }

  /** Applies a pre-handler fault; true when the response is already settled by it. */
  async function preFault(res: ServerResponse, fault: Fault): Promise<boolean> {
    if (fault.kind === "none" || fault.kind === "reset-after-commit" || fault.kind === "expired-token") return false;
    counters.faults++;
    if (fault.kind === "latency") {
      await time.sleep(fault.ms);
      return false;
    }
    if (fault.kind === "status") {
      send(res, fault.status, outcome(fault.status === 503 ? "transient" : "exception", `injected ${fault.status}`), fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {});
      return true;
    }
    if (fault.kind === "reset-before") {
      res.socket?.destroy();
      return true;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
    counters.requests++;
    const url = new URL(req.url ?? "/", base);
    const method = (req.method ?? "GET").toUpperCase();
    const segments = url.pathname.split("/").filter(Boolean);

    const who = req.headers.authorization ?? "anonymous";
    const admission = quotas.admitRequest(res, who, clock());
    const throttled = (refused: { retryAfterSeconds: number }) => {
      counters.throttled++;
      send(res, 429, outcome("throttled", "too many requests"), { "retry-after": String(refused.retryAfterSeconds) });
    };
    if (admission.refused) return throttled(admission.refused);

    // Bulk Data.
    if (segments[0] === "$export" && exportDeclared) {
      const fault = faults.next("export");
      if (await preFault(res, fault)) return;
      if (req.headers.prefer !== "respond-async") return send(res, 400, outcome("invalid", "$export needs Prefer: respond-async"));
      const job = bulk.start(url.searchParams);
      return send(res, 202, outcome("informational", "export started", "warning"), { "content-location": `${base}/$export-status/${job}` });
    }
    if (segments[0] === "$export-status" && segments[1]) {
      const fault = faults.next("export-status");
      if (await preFault(res, fault)) return;
      const status = bulk.poll(segments[1]);
      if (!status) return send(res, 404, outcome("not-found", "no such export"));
      if (status.done) return send(res, 200, status.manifest, { "content-type": "application/json" });
      res.writeHead(202, { ...(status.retryAfterSeconds !== null ? { "retry-after": String(status.retryAfterSeconds) } : {}), "x-progress": status.progress }).end();
      return;
    }
    if (segments[0] === "$export-file" && segments[1] && segments[2]) return bulk.serveFile(segments[1], segments[2], res);

    const [type, id, historyMarker, versionId] = segments;
    let body: unknown;
    try {
      body = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      return send(res, 400, outcome("structure", "the body is not JSON"));
    }
    // The CapabilityStatement where clients look for it (a subscriber reads the topics there).
    if (type === "metadata" && id === undefined && method === "GET") return send(res, 200, capabilityDocument);
    // A named operation (`Subscription/1/$events`) is its own operationId for faults, priced as the read or history it resembles.
    const namedOperation = id !== undefined && historyMarker?.startsWith("$") ? historyMarker : undefined;
    const interaction =
      type === undefined ? (method === "POST" ? ((body as { type?: string } | undefined)?.type ?? "transaction") : "capabilities")
      : id === undefined ? (method === "GET" ? "search-type" : method === "POST" ? "create" : "?")
      : namedOperation ?? (historyMarker === "_history" ? (versionId ? "vread" : "history-instance")
      : method === "GET" ? "read" : method === "PUT" ? "update" : method === "PATCH" ? "patch" : method === "DELETE" ? "delete" : "?");
    const operationId = type === undefined ? interaction : `${type}.${interaction}`;
    const priced = namedOperation === undefined ? interaction : namedOperation === "$events" ? "history-instance" : "read";
    const overPoints = quotas.admitInteraction(res, who, clock(), admission, priced, body);
    if (overPoints) return throttled(overPoints);
    const fault = faults.next(operationId);
    if (await preFault(res, fault)) return;
    // Subscription requests the engine answers pass the same quota and faults as any other.
    if (engine && type === "Subscription") {
      const answer = await engine.route(method, id, historyMarker, url.searchParams, body);
      if (answer) return send(res, answer.status, answer.body);
    }
    const commitThenMaybeReset = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      // The write is done; the connection dies before the client hears about it.
      if (fault.kind === "reset-after-commit") {
        counters.faults++;
        res.socket?.destroy();
        return;
      }
      send(res, status, body, headers);
    };

    if (type === undefined) {
      if (method === "GET") return send(res, 200, capabilityDocument);
      if (!systemInteractions.has(interaction)) return send(res, 405, outcome("not-supported", `${interaction} is not supported`));
      if ((body as { resourceType?: unknown } | undefined)?.resourceType !== "Bundle") return send(res, 400, outcome("invalid", "POST to the base needs a transaction or batch Bundle"));
      const result = transaction(body as Parameters<typeof transaction>[0]);
      return commitThenMaybeReset(result.status, result.body);
    }
    const served = declared.get(type);
    if (!served) return send(res, 404, outcome("not-supported", `${type} is not served`));
    if (!served.interactions.has(interaction)) return send(res, 405, outcome("not-supported", `${type} does not support ${interaction}`));
    switch (interaction) {
      case "read": {
        const r = store.read(type, id!);
        if (!r && store.deleted(type, id!)) return send(res, 410, outcome("deleted", `${type}/${id} was deleted`));
        if (!r) return send(res, 404, outcome("not-found", `${type}/${id} is not known`));
        // A conditional read whose version the client already holds costs no body.
        const tags = withEtag(r);
        if (holdsVersion(req.headers["if-none-match"], tags.etag)) return void res.writeHead(304, tags).end();
        return send(res, 200, r, tags);
      }
      case "vread": {
        const r = store.vread(type, id!, versionId!);
        return r ? send(res, 200, r, withEtag(r)) : send(res, 404, outcome("not-found", `${type}/${id}/_history/${versionId} is not known`));
      }
      case "history-instance":
        return send(res, 200, { resourceType: "Bundle", type: "history", entry: store.versions(type, id!).map((r) => ({ resource: r })) });
      case "search-type": {
        const page = searchPage(type, url);
        return send(res, page.status, page.body);
      }
      case "delete":
        store.delete(type, id!);
        return send(res, 200, outcome("informational", "deleted", "warning"));
      case "create":
      case "update": {
        const ifNoneExist = typeof req.headers["if-none-exist"] === "string" ? req.headers["if-none-exist"] : undefined;
        const ifMatch = typeof req.headers["if-match"] === "string" ? req.headers["if-match"] : undefined;
        const result = write(interaction === "create" ? "POST" : "PUT", type, id, body as StoredResource, ifNoneExist, ifMatch);
        if (!result.resource) return send(res, result.status, result.outcome);
        return commitThenMaybeReset(result.status, result.resource, { ...withEtag(result.resource), location: `${base}/${type}/${result.resource.id}/_history/${result.resource.meta?.versionId}` });
      }
      case "patch": {
        const current = store.read(type, id!);
        if (!current) return send(res, 404, outcome("not-found", `${type}/${id} is not known`));
        const ifMatch = typeof req.headers["if-match"] === "string" ? req.headers["if-match"] : undefined;
        if (ifMatch !== undefined && !isCurrentVersion(current, ifMatch)) return send(res, 412, outcome("conflict", `${ifMatch} is not the current version (current: ${current.meta?.versionId})`));
        const patched = applyJsonPatch(current, body);
        if (!patched.ok) return send(res, 422, outcome("processing", patched.reason));
        const next = patched.value as StoredResource;
        // A patch changes the resource's content, never which resource it is.
        if (next?.resourceType !== type || next.id !== id) return send(res, 422, outcome("processing", "a patch cannot change the resourceType or id"));
        const patchedIssues = checkResource(next);
        if (patchedIssues.length > 0) return send(res, 422, invalidResource(patchedIssues));
        const stored = store.put(next);
        return commitThenMaybeReset(200, stored, withEtag(stored));
      }
      default:
        return send(res, 405, outcome("not-supported", `${interaction} is not simulated`));
    }
  }

  const server = http.createServer((req, res) => {
    if (answerCors(req, res)) return;
    readBody(req)
      .then((raw) => (raw === undefined ? send(res, 413, outcome("too-costly", `bodies are limited to ${MAX_BODY_BYTES} bytes`)) : handle(req, res, raw.toString("utf8"))))
      .catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, outcome("exception", String(error)));
        else res.destroy();
      });
  });
  const listening = await listenTracked(server, options.port ?? 0, "127.0.0.1");
  base = listening.url;
  const close = async () => {
    await engine?.close();
    await listening.close();
  };
  return { url: base, store, faults, counters, subscriptions: engine, close };
}
