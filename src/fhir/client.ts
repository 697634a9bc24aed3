/**
 * The FHIR R4 client runtime. Generated code calls
 * `createFhirClient` with the interactions its CapabilityStatement declares; every call
 * runs through the carewire pipeline (pacing, retries with FHIR-aware classification,
 * breaker, idempotency, provenance meta).
 *
 *  - a non-2xx OperationOutcome becomes a typed FhirError; issue codes refine retries.
 *  - paging follows Bundle `link[next]`, never to another origin (credentials stay home).
 *  - conditional create (If-None-Exist) in one request; update with If-Match from
 *    `meta.versionId` (a 412 is a typed conflict, never retried).
 *  - with `provenance` set, each create/update that takes effect gets exactly one Provenance
 *    (see `writeWithProvenance`): a resource found by a conditional create gets none.
 *  - a transaction answered 200 with a failed entry (a server that ran it entry by entry)
 *    is a typed error naming the entry, never data.
 */
import { randomId } from "../runtime/portable/random-id.js";
import type { Bundle, BundleEntry, Provenance, Resource } from "fhir/r4.js";
import { CarewireError, InvalidRequestError, LimitExceededError, MalformedResponseError, UnknownOutcomeError } from "../runtime/core/errors.js";
import { HttpError } from "../runtime/core/http-errors.js";
import type { OperationDescriptor, OperationSchemas } from "../runtime/core/operation.js";
import { systemClock } from "../runtime/core/clock.js";
import { deriveIdempotencyKey } from "../runtime/policies/idempotency.js";
import { bulkExport, type BulkExportJob, type BulkExportRequest } from "./bulk-export.js";
import { createPipeline, DEFAULT_TIMEOUT_MS, type ClientOptions } from "../runtime/core/pipeline.js";
import type { ResultMeta } from "../runtime/core/meta.js";
import type { CallOptions, PipelineError, Result } from "../runtime/core/types.js";
import type { FetchLike } from "../runtime/wire/transport.js";
import { linkResolver } from "../runtime/wire/link-target.js";
import { interactionOperation, weakEtag, type FhirCapabilityModel, type SystemInteraction, type TypeInteraction } from "./interactions.js";
import { failedTransactionEntry, readEntryOutcomes } from "./bundle-response.js";
import { FhirError, UntrustedUrlError } from "./outcome.js";
import { fhirProfile } from "./profile.js";
import { pricedForBundle } from "./prices.js";
import { provenanceFor, writeSource, type ProvenanceOptions } from "./provenance.js";
import { expectedBody, type ExpectedBody } from "./shape.js";
import { identifierCondition, searchQuery } from "./search.js";
import { DEFAULT_MAX_PAGES } from "../runtime/pagination/paginate.js";

/** Every way a FHIR call can fail; `kind` tells them apart. */
export type FhirCallError = FhirError | UntrustedUrlError | HttpError<unknown> | PipelineError;

export type FhirResult<T> = Result<T, FhirCallError>;

/**
 * A create's result: on success, `created` says whether this call's write made the resource
 * (201) or a conditional create found it (200). After a lost answer the retry sees the
 * resource the lost attempt made, so it reports `created: false`.
 */
export type CreateResult<T> = (FhirSuccess<T> & { readonly created: boolean }) | FhirFailure;

/** A FHIR call that succeeded: `data` set, no `error`. */
export type FhirSuccess<T> = Extract<FhirResult<T>, { readonly error?: undefined }>;
/** A FHIR call that failed: `error` set, no `data`. */
export type FhirFailure = Exclude<FhirResult<never>, { readonly error?: undefined }>;

export interface FhirClientOptions extends ClientOptions {
  /** Provider name in meta and telemetry (generated clients pass theirs). Default `fhir`. */
  readonly provider?: string;
  /**
   * Record a Provenance for every create and update that takes effect (exactly one per
   * logical write, however often it is repeated; none for a resource a conditional create
   * finds). The written resource's `meta.source` becomes `<source>#<write key>`.
   */
  readonly provenance?: ProvenanceOptions;
  /**
   * Validate every resource read against the official R4 JSON schema (fhir.schema.json);
   * a violation is a ContractViolationError that keeps the body. Default off: unknown
   * elements are then kept and reported in `meta.drift.unknownFields`.
   */
  readonly strict?: boolean;
  /**
   * Bounds on one `searchPages`/`searchAll`: a server whose `next` links never end must not
   * page forever. Past either, the generator throws LimitExceededError.
   * Defaults: 1,000 pages, 10 minutes (on the client's clock).
   */
  readonly paging?: { readonly maxPages?: number; readonly maxMs?: number };
}

export type { LinkTarget } from "../runtime/wire/link-target.js";

export interface CreateOptions<Search> extends CallOptions {
  /** Conditional create: the server creates only if this search finds nothing (one request, no race). */
  readonly ifNoneExist?: Search | string;
}

export interface UpdateOptions extends CallOptions {
  /**
   * The version this update is based on. Default: the resource's `meta.versionId`, so a
   * concurrent change makes the server answer 412 instead of losing it. `false` sends none.
   */
  readonly ifMatch?: string | false;
}

export interface JsonPatchOperation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

/** Every interaction on one resource type; the generated client keeps the declared ones. */
export interface ResourceClient<R extends Resource, Search> {
  read(id: string, options?: CallOptions): Promise<FhirResult<R>>;
  vread(id: string, versionId: string, options?: CallOptions): Promise<FhirResult<R>>;
  search(params?: Search, options?: CallOptions): Promise<FhirResult<Bundle<R>>>;
  /** Every page of a search, following `link[next]` (same origin only). Throws the typed error that ends it. */
  searchPages(params?: Search, options?: CallOptions): AsyncGenerator<Bundle<R>, void, undefined>;
  /** Every matching resource across all pages. */
  searchAll(params?: Search, options?: CallOptions): AsyncGenerator<R, void, undefined>;
  create(resource: R, options?: CreateOptions<Search>): Promise<CreateResult<R>>;
  /** Conditional create keyed on the resource's identifiers (If-None-Exist): safe to repeat; `created` says which it was. */
  ensure(resource: R, options?: CallOptions): Promise<CreateResult<R>>;
  update(resource: R & { readonly id: string }, options?: UpdateOptions): Promise<FhirResult<R>>;
  patch(id: string, operations: readonly JsonPatchOperation[], options?: UpdateOptions): Promise<FhirResult<R>>;
  delete(id: string, options?: CallOptions): Promise<FhirResult<undefined>>;
  history(id: string, options?: CallOptions): Promise<FhirResult<Bundle<R>>>;
}

/** Which client methods each declared interaction brings (the generated types and the runtime read the same table). */
const METHODS_OF = {
  read: ["read"],
  vread: ["vread"],
  "search-type": ["search", "searchPages", "searchAll"],
  create: ["create", "ensure"],
  update: ["update"],
  patch: ["patch"],
  delete: ["delete"],
  "history-instance": ["history"],
} as const satisfies Record<TypeInteraction, ReadonlyArray<keyof ResourceClient<Resource, object>>>;

export type InteractionMethods = { [I in TypeInteraction]: (typeof METHODS_OF)[I][number] };

export interface SystemClient {
  transaction(bundle: Bundle, options?: CallOptions): Promise<FhirResult<Bundle>>;
  batch(bundle: Bundle, options?: CallOptions): Promise<FhirResult<Bundle>>;
  /** Bulk Data system export: kick-off, polling, then streamed NDJSON. */
  bulkExport(request?: BulkExportRequest): Promise<FhirResult<BulkExportJob>>;
}

/** FHIR reads are checked by their resourceType, not by a zod schema (yet). */
const NO_SCHEMAS: OperationSchemas = { responses: {} };

const DEFAULT_MAX_PAGING_MS = 600_000;

/** The Bundle's `next` link, when it has a usable one. */
function nextLink(bundle: Bundle): string | undefined {
  const links: unknown = bundle.link;
  if (!Array.isArray(links)) return undefined;
  for (const link of links as unknown[]) {
    const { relation, url } = (typeof link === "object" && link !== null ? link : {}) as { relation?: unknown; url?: unknown };
    if (relation === "next" && typeof url === "string" && url.length > 0) return url;
  }
  return undefined;
}

export interface FhirClientCore {
  readonly resources: Readonly<Record<string, Partial<ResourceClient<Resource, object>>>>;
  readonly system: Partial<SystemClient>;
  /** One resource type's client with the methods its declared interactions bring, typed by the caller (generated code). */
  resource<R extends Resource, Search, I extends TypeInteraction>(type: R["resourceType"]): Pick<ResourceClient<R, Search>, InteractionMethods[I]>;
  /** A declared system interaction (throws for one the model does not declare: a generator bug, not a server's). */
  systemMethod<K extends keyof SystemClient>(name: K): SystemClient[K];
}

/**
 * The FHIR client runtime over one pipeline. `registry` holds the descriptors codegen
 * emitted for the declared interactions (by operationId); an interaction missing from it
 * (a hand-made model) gets its descriptor built here.
 */
export function createFhirClient(options: FhirClientOptions, model: FhirCapabilityModel, registry: Readonly<Record<string, OperationDescriptor>> = {}): FhirClientCore {
  const provider = options.provider ?? "fhir";
  /** Every declared interaction's descriptor and what its 2xx body must be. */
  const operations = new Map<string, { readonly operation: OperationDescriptor; readonly expected: ExpectedBody | undefined }>();
  const declare = (type: string, interaction: TypeInteraction | SystemInteraction) => {
    const operation = registry[type === "" ? interaction : `${type}.${interaction}`] ?? interactionOperation(type, interaction);
    operations.set(operation.operationId, { operation, expected: expectedBody(type, interaction) });
  };
  for (const [type, interactions] of Object.entries(model.resources)) for (const interaction of interactions) declare(type, interaction);
  for (const interaction of model.system) declare("", interaction);
  if (options.provenance) {
    // A write's Provenance is created on its own, and a write whose answer named no resource
    // (or a stale update that may be our own) is read back: declared or not.
    if (!operations.has("Provenance.create")) declare("Provenance", "create");
    for (const [type, interactions] of Object.entries(model.resources)) {
      if (!operations.has(`${type}.read`) && (interactions.includes("create") || interactions.includes("update"))) declare(type, "read");
    }
  }

  const pipeline = createPipeline({
    ...options,
    provider,
    headers: { accept: "application/fhir+json", ...options.headers },
    profile: fhirProfile({ strict: options.strict === true, expected: (operation) => operations.get(operation.operationId)?.expected }),
  });
  const base = new URL(options.baseUrl ?? "http://invalid.local");
  const clock = options.clock ?? systemClock;
  const maxPages = options.paging?.maxPages ?? DEFAULT_MAX_PAGES;
  const maxPagingMs = options.paging?.maxMs ?? DEFAULT_MAX_PAGING_MS;

  function call<T>(type: string, interaction: TypeInteraction | SystemInteraction, input: object, callOptions: CallOptions = {}, path?: string): Promise<FhirResult<T>> {
    const operationId = type === "" ? interaction : `${type}.${interaction}`;
    const declared = operations.get(operationId);
    if (declared === undefined) return Promise.resolve(refused(type || "system", interaction, "is not declared by the server's CapabilityStatement"));
    // A batch or transaction costs what its entries cost: priced per Bundle.
    const operation = type === "" ? pricedForBundle(declared.operation, (input as { body?: unknown }).body) : declared.operation;
    return callOperation(path === undefined ? operation : { ...operation, path }, input, callOptions);
  }

  function callOperation<T>(operation: OperationDescriptor, input: object, callOptions: CallOptions): Promise<FhirResult<T>> {
    return pipeline.request<T, FhirCallError>(operation, NO_SCHEMAS, input, callOptions);
  }

  /** A server link as a path under the base URL and its query, or a typed refusal: credentials never leave the base URL. */
  const linkTarget = linkResolver(base.href);

  function resourceClient(type: string, interactions: readonly TypeInteraction[]): Partial<ResourceClient<Resource, object>> {
    const client: ResourceClient<Resource, object> = {
      read: (id, o) => call(type, "read", { params: { path: { id } } }, o),
      vread: (id, vid, o) => call(type, "vread", { params: { path: { id, vid } } }, o),
      search: (params = {}, o) => {
        // The query travels apart from the path: meta.path stays `/Patient`, with no PHI in it.
        return call(type, "search-type", { rawQuery: searchQuery(params).toString() }, o);
      },
      async *searchPages(params = {}, o) {
        let page: FhirResult<Bundle> = await client.search(params, o);
        const followed = new Set<string>();
        const startedAt = clock.now();
        for (let pages = 1; ; pages++) {
          if (page.error) throw page.error;
          yield page.data as Bundle<Resource>;
          const next = nextLink(page.data);
          if (next === undefined) return;
          // A server whose next links go on and on (or come back round) would page forever.
          if (followed.has(next)) throw new MalformedResponseError("the next link repeats a page already read", page.response.status, next.slice(0, 200));
          if (pages >= maxPages) throw new LimitExceededError("pages", maxPages);
          if (clock.now() - startedAt > maxPagingMs) throw new LimitExceededError("paging-time", maxPagingMs);
          followed.add(next);
          const target = linkTarget(next);
          page = await call(type, "search-type", { rawQuery: target.query }, o, target.path);
        }
      },
      async *searchAll(params = {}, o) {
        for await (const bundle of client.searchPages(params, o)) {
          const entries: unknown = bundle.entry;
          if (!Array.isArray(entries)) continue;
          for (const entry of entries as unknown[]) {
            if (typeof entry !== "object" || entry === null) continue;
            const { resource, search } = entry as BundleEntry;
            // `_include`d resources ride along with search.mode "include": not matches.
            const mode: unknown = (search as { mode?: unknown } | undefined)?.mode;
            if (typeof resource === "object" && resource !== null && mode !== "include" && mode !== "outcome") yield resource;
          }
        }
      },
      create: async (resource, o = {}) => {
        const { ifNoneExist, ...rest } = o;
        const condition = ifNoneExist === undefined ? undefined : typeof ifNoneExist === "string" ? ifNoneExist : searchQuery(ifNoneExist).toString();
        if (options.provenance) return writeWithProvenance(type, resource, { method: "POST", ...(condition ? { ifNoneExist: condition } : {}) }, rest, writeKeyOf(type, "create", rest, condition));
        if (condition === undefined) return withCreated(await call<Resource>(type, "create", { body: resource }, withHeaders(rest, { prefer: "return=representation" })), () => true);
        // Conditional: the server itself prevents a duplicate, so a lost answer may be asked
        // again; the key shows in meta and in an unknown-outcome error, to repeat it with.
        const keyed = { ...rest, idempotencyKey: writeKeyOf(type, "create", rest, condition), replaySafe: true };
        return withCreated(await call<Resource>(type, "create", { body: resource }, withHeaders(keyed, { prefer: "return=representation", "if-none-exist": condition })), (r) => r.response.status === 201);
      },
      ensure: (resource, o) => {
        const condition = identifierCondition(resource);
        if (condition === undefined) {
          return Promise.resolve(refused(type, "ensure", "needs an identifier with both system and value to make the create conditional"));
        }
        return client.create(resource, { ...o, ifNoneExist: condition });
      },
      update: (resource, o = {}) => {
        const { ifMatch, ...rest } = o;
        const version = ifMatch === false ? undefined : (ifMatch ?? resource.meta?.versionId);
        const etag = version === undefined ? undefined : weakEtag(version);
        if (options.provenance) return writeWithProvenance(type, resource, { method: "PUT", ...(etag ? { ifMatch: etag } : {}) }, rest, writeKeyOf(type, "update", rest));
        return call(type, "update", { params: { path: { id: resource.id } }, body: resource }, withHeaders(rest, { prefer: "return=representation", ...(etag ? { "if-match": etag } : {}) }));
      },
      patch: (id, operations, o = {}) => {
        const { ifMatch, ...rest } = o;
        const etag = typeof ifMatch === "string" ? weakEtag(ifMatch) : undefined;
        return call(type, "patch", { params: { path: { id } }, body: operations }, withHeaders(rest, { prefer: "return=representation", ...(etag ? { "if-match": etag } : {}) }));
      },
      delete: (id, o) => call(type, "delete", { params: { path: { id } } }, o),
      history: (id, o) => call(type, "history-instance", { params: { path: { id } } }, o),
    };
    const declared = new Set<string>(interactions.flatMap((i): readonly string[] => METHODS_OF[i]));
    return Object.fromEntries(Object.entries(client).filter(([name]) => declared.has(name)));
  }

  /**
   * The key of one logical write, derived once per call: the caller's, or from its business
   * key, or (a conditional create) from the type and the condition, so every instance that
   * ensures the same record names the same write; else a fresh one.
   */
  function writeKeyOf(type: string, interaction: "create" | "update", o: CallOptions, condition?: string): string {
    if (o.idempotencyKey !== undefined) return o.idempotencyKey;
    // The same derivation as the pipeline's own for this operation.
    if (o.businessKey !== undefined) return deriveIdempotencyKey(provider, `${type}.${interaction}`, o.businessKey);
    if (condition !== undefined) return deriveIdempotencyKey(provider, `${type}.${interaction}`, { ifNoneExist: condition });
    return `cw1-${randomId()}`;
  }

  /**
   * A write and, only when it took effect, its Provenance: two requests, because a FHIR
   * transaction cannot make one entry depend on whether another created or found.
   *
   *  1. The write alone, stamped `meta.source = <source>#<key>`: a create is conditional (on
   *     the caller's condition, else on that very source), an update guarded by If-Match.
   *     Its status says created (201), found (200), updated or conflict (412).
   *  2. The Provenance, as a create conditional on the same source and target: repeats find it.
   *
   * A found resource gets no Provenance, unless it carries our own source: then an earlier
   * attempt of this write made it and died before step 2, which is completed now. A 412 on
   * an update whose current version carries our source is our own write, landed by an
   * attempt whose answer was lost: a success.
   */
  async function writeWithProvenance<R extends Resource>(type: string, resource: R, request: { method: "POST"; ifNoneExist?: string } | { method: "PUT"; ifMatch?: string }, o: CallOptions, writeKey: string): Promise<CreateResult<R>> {
    const provenance = options.provenance!;
    const source = writeSource(provenance, writeKey);
    const ownSource = searchQuery({ _source: source }).toString();
    // Every step is conditional or a PUT: safe to send again after a lost answer.
    const keyed: CallOptions = { ...o, idempotencyKey: writeKey, replaySafe: true };
    const stamped = { ...resource, meta: { ...resource.meta, source } } as R;
    const sent =
      request.method === "POST"
        ? await call<R>(type, "create", { body: stamped }, withHeaders(keyed, { prefer: "return=representation", "if-none-exist": request.ifNoneExist ?? ownSource }))
        : await call<R>(type, "update", { params: { path: { id: resource.id } }, body: stamped }, withHeaders(keyed, { prefer: "return=representation", ...(request.ifMatch ? { "if-match": request.ifMatch } : {}) }));

    let written: FhirSuccess<R>;
    if (sent.error) {
      // A 412: the version moved, perhaps by this very write (an attempt whose answer was lost, which the runtime then reports as unknown).
      const preconditionFailed = (sent.error instanceof HttpError && sent.error.status === 412) || (sent.error instanceof UnknownOutcomeError && sent.error.lastStatus === 412);
      const landed = request.method === "PUT" && preconditionFailed ? await ownVersion<R>(type, resource.id ?? "", source, o) : undefined;
      if (landed === undefined) return sent;
      written = { data: landed.data, response: landed.response, meta: sent.meta };
    } else {
      const resolved = await resolveWritten(type, sent, o);
      if (resolved.error) return resolved;
      written = resolved;
    }
    const created = request.method === "POST" && sent.response?.status === 201;
    // A conditional create that found someone else's resource: nothing was written.
    if (request.method === "POST" && !created && written.data.meta?.source !== source) return { ...written, created };

    const activity = provenance.activity ?? (request.method === "POST" ? "CREATE" : "UPDATE");
    const target = `${type}/${written.data.id ?? ""}`;
    const record: Provenance = { ...provenanceFor({ reference: target }, { ...provenance, activity }, writeKey), meta: { source } };
    // Keyed on the write and its target: a record deleted and created again under the same
    // derived key is a new resource, and gets a record of its own.
    const once = searchQuery({ _source: source, target }).toString();
    const recorded = await call<Provenance>("Provenance", "create", { body: record }, withHeaders(keyed, { prefer: "return=minimal", "if-none-exist": once }));
    // The write stands; its record did not land. Repeating the call with this key completes it.
    if (recorded.error) return recorded;
    return { ...written, created };
  }

  /** The current version of a resource, when its `meta.source` is `source` (our own write landed). */
  async function ownVersion<R extends Resource>(type: string, id: string, source: string, o: CallOptions): Promise<{ data: R; response: Response } | undefined> {
    const current = await call<R>(type, "read", { params: { path: { id } } }, stripKeys(o));
    return current.error === undefined && current.data.meta?.source === source ? { data: current.data, response: current.response } : undefined;
  }

  /** The written resource with its id: the answer's body, or (a server that answered with a Location only) read back. */
  async function resolveWritten<R extends Resource>(type: string, sent: FhirSuccess<R>, o: CallOptions): Promise<FhirResult<R>> {
    const body: unknown = sent.data;
    if (typeof body === "object" && body !== null && typeof (body as { id?: unknown }).id === "string") return sent;
    // The write went through but cannot be named: repeating the call with its key finds it.
    const unnamed = (why: string): FhirFailure => {
      const error = new MalformedResponseError(why, sent.response.status, "");
      error.meta = sent.meta;
      return { error, response: sent.response, meta: sent.meta };
    };
    const location = sent.response.headers.get("content-location") ?? sent.response.headers.get("location");
    if (!location) return unnamed("the server's answer named no written resource");
    let id: string | undefined;
    try {
      id = linkTarget(location).path.split("/").filter(Boolean)[1];
    } catch (error) {
      if (error instanceof UntrustedUrlError) {
        error.meta = sent.meta;
        return refusedWith(error);
      }
      throw error;
    }
    if (!id) return unnamed("the server's Location names no resource id");
    const read = await call<R>(type, "read", { params: { path: { id } } }, stripKeys(o));
    return read.error ? read : { ...read, meta: sent.meta };
  }

  function refused(type: string, what: string, why: string): FhirFailure {
    return refusedWith(new InvalidRequestError(`${type}.${what}: ${why}`), `${type}.${what}`);
  }

  /** A call that ends before anything is sent: the typed error with an empty meta. */
  function refusedWith(error: FhirCallError, operationId: string = error.kind): FhirFailure {
    // An error from a call already has its meta; one raised before any call gets an empty one.
    const meta: ResultMeta = error.meta ?? { provider, operationId, method: "", path: "", requestId: "", attempts: [], startedAt: new Date().toISOString(), durationMs: 0, source: "network", drift: { unknownFields: [], issues: [] } };
    error.meta = meta;
    return { error, response: undefined, meta };
  }

  const resources = Object.fromEntries(Object.entries(model.resources).map(([type, interactions]) => [type, resourceClient(type, interactions)]));
  const system: Partial<SystemClient> = {};
  if (model.operations?.includes("export")) {
    const fetchImpl: FetchLike = options.fetch ?? ((request, init) => fetch(request, init));
    system.bulkExport = async (request = {}) => {
      try {
        return await bulkExport(request, { clock, random: options.random ?? Math.random, call: callOperation, linkTarget, fetch: fetchImpl, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
      } catch (error) {
        // A status URL on another origin, refused before anything was sent there; any other
        // typed failure on the way: a result, never a rejection.
        if (error instanceof CarewireError) return refusedWith(error as FhirCallError);
        throw error;
      }
    };
  }
  // A Bundle whose every write is conditional, a PUT or a DELETE may be sent again after a lost answer.
  const bundleOptions = (bundle: Bundle, o: CallOptions = {}) => withHeaders(replaySafe(bundle) ? { ...o, replaySafe: true } : o, { prefer: "return=representation" });
  /** A transaction or batch, its answer read entry by entry before it is handed back. */
  async function sendBundle(interaction: "transaction" | "batch", bundle: Bundle, o?: CallOptions): Promise<FhirResult<Bundle>> {
    const result = await call<Bundle>("", interaction, { body: bundle }, bundleOptions(bundle, o));
    if (result.error) return result;
    const failedWith = (error: FhirCallError): FhirResult<Bundle> => {
      error.meta = result.meta;
      return { error, response: result.response, meta: result.meta };
    };
    const outcomes = readEntryOutcomes(result.data, result.response.status);
    if (outcomes instanceof MalformedResponseError) return failedWith(outcomes);
    // Entries answer in the order they were sent; a count that differs would pin outcomes on the wrong writes.
    const sentCount = Array.isArray(bundle.entry) ? bundle.entry.length : 0;
    if (outcomes.length !== sentCount) return failedWith(new MalformedResponseError(`the ${interaction} response has ${outcomes.length} entries for the ${sentCount} sent`, result.response.status, ""));
    // A batch's entries succeed or fail on their own (read them with entryOutcomes); a
    // transaction's failed entry means it was not all or nothing.
    const failed = interaction === "transaction" ? failedTransactionEntry(outcomes, result.response) : undefined;
    return failed ? failedWith(failed) : result;
  }
  if (model.system.includes("transaction")) system.transaction = (bundle, o) => sendBundle("transaction", bundle, o);
  if (model.system.includes("batch")) system.batch = (bundle, o) => sendBundle("batch", bundle, o);
  return {
    resources,
    system,
    // The runtime builds clients from the model at run time; the generated code states which
    // methods each type has, so this is the one place that view is asserted.
    resource: <R extends Resource, Search, I extends TypeInteraction>(type: R["resourceType"]) => (resources[type] ?? {}) as unknown as Pick<ResourceClient<R, Search>, InteractionMethods[I]>,
    systemMethod<K extends keyof SystemClient>(name: K): SystemClient[K] {
      const method = system[name];
      if (method === undefined) throw new InvalidRequestError(`${name} is not declared by the server's CapabilityStatement`);
      return method;
    },
  };
}

/** Every entry is a read, a PUT, a DELETE or a conditional create: repeating the Bundle duplicates nothing. */
function replaySafe(bundle: Bundle): boolean {
  return (bundle.entry ?? []).every((e) => {
    const method = e.request?.method;
    return method === "GET" || method === "HEAD" || method === "PUT" || method === "DELETE" || (method === "POST" && typeof e.request?.ifNoneExist === "string" && e.request.ifNoneExist.length > 0);
  });
}

/** A successful result with `created` added; an error result as it is. */
function withCreated<R extends Resource>(result: FhirResult<Resource>, created: (ok: FhirSuccess<Resource>) => boolean): CreateResult<R> {
  if (result.error) return result;
  return { ...result, data: result.data as R, created: created(result) };
}

/** Options for a read made on behalf of a write: the write's key is not the read's. */
function stripKeys(options: CallOptions): CallOptions {
  const { idempotencyKey: _key, businessKey: _business, replaySafe: _replay, ...rest } = options;
  return rest;
}

function withHeaders(options: CallOptions = {}, headers: Record<string, string>): CallOptions {
  return { ...options, headers: { ...headers, ...options.headers } };
}

