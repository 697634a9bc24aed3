/**
 * The FHIR R4 client runtime (REQUIREMENTS C5, F1–F4). Generated code calls
 * `createFhirClient` with the interactions its CapabilityStatement declares; every call
 * runs through the carewire pipeline (pacing, retries with FHIR-aware classification,
 * breaker, idempotency, provenance meta).
 *
 *  - F1 a non-2xx OperationOutcome becomes a typed FhirError; issue codes refine retries.
 *  - F2 paging follows Bundle `link[next]`, never to another origin (credentials stay home).
 *  - F3 conditional create (If-None-Exist) in one request; update with If-Match from
 *    `meta.versionId` (a 412 is a typed conflict, never retried).
 *  - F4 with `provenance` set, each create/update is written in one transaction with a
 *    Provenance resource naming the target, agent and source system + request id.
 */
import { randomUUID } from "node:crypto";
import type { Bundle, BundleEntry, Resource } from "fhir/r4.js";
import { ContractViolationError, HttpError, InvalidRequestError, type CarewireError } from "../runtime/errors.js";
import type { OperationDescriptor, OperationSchemas } from "../runtime/operation.js";
import { systemClock } from "../runtime/clock.js";
import { deriveIdempotencyKey } from "../runtime/idempotency.js";
import { bulkExport, type BulkExportJob, type BulkExportRequest } from "./bulk-export.js";
import { createPipeline, type ClientOptions } from "../runtime/pipeline.js";
import type { ResultMeta } from "../runtime/provenance.js";
import type { CallOptions, PipelineError } from "../runtime/types.js";
import { interactionOperation, type FhirCapabilityModel, type SystemInteraction, type TypeInteraction } from "./interactions.js";
import { FhirError, isOperationOutcome, refineFhirClassification, UntrustedUrlError } from "./outcome.js";
import { fhirSchemaIssues, unknownFhirElements } from "./fhir-schema.js";
import { provenanceFor, type ProvenanceOptions } from "./provenance.js";
import { identifierCondition, searchQuery } from "./search.js";

/** Every way a FHIR call can fail; `kind` tells them apart. */
export type FhirCallError = FhirError | UntrustedUrlError | HttpError<unknown> | PipelineError;

export type FhirResult<T> =
  | { readonly data: T; readonly error?: undefined; readonly response: Response; readonly meta: ResultMeta }
  | { readonly data?: undefined; readonly error: FhirCallError; readonly response: Response | undefined; readonly meta: ResultMeta };

export interface FhirClientOptions extends ClientOptions {
  /** Provider name in meta and telemetry (generated clients pass theirs). Default `fhir`. */
  readonly provider?: string;
  /** Write a Provenance resource with every create and update (F4). */
  readonly provenance?: ProvenanceOptions;
  /**
   * Validate every resource read against the official R4 JSON schema (fhir.schema.json);
   * a violation is a ContractViolationError that keeps the body. Default off: unknown
   * elements are then kept and reported in `meta.drift.unknownFields`.
   */
  readonly strict?: boolean;
}

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
  create(resource: R, options?: CreateOptions<Search>): Promise<FhirResult<R>>;
  /** Conditional create keyed on the resource's identifiers (If-None-Exist): safe to repeat. */
  ensure(resource: R, options?: CallOptions): Promise<FhirResult<R>>;
  update(resource: R & { readonly id: string }, options?: UpdateOptions): Promise<FhirResult<R>>;
  patch(id: string, operations: readonly JsonPatchOperation[], options?: UpdateOptions): Promise<FhirResult<R>>;
  delete(id: string, options?: CallOptions): Promise<FhirResult<undefined>>;
  history(id: string, options?: CallOptions): Promise<FhirResult<Bundle<R>>>;
}

/** Which client methods each declared interaction brings. */
export interface InteractionMethods {
  read: "read";
  vread: "vread";
  "search-type": "search" | "searchPages" | "searchAll";
  create: "create" | "ensure";
  update: "update";
  patch: "patch";
  delete: "delete";
  "history-instance": "history";
}

export interface SystemClient {
  transaction(bundle: Bundle, options?: CallOptions): Promise<FhirResult<Bundle>>;
  batch(bundle: Bundle, options?: CallOptions): Promise<FhirResult<Bundle>>;
  /** Bulk Data system export: kick-off, polling, then streamed NDJSON (F5). */
  bulkExport(request?: BulkExportRequest): Promise<FhirResult<BulkExportJob>>;
}

/** FHIR reads are checked by their resourceType, not by a zod schema (yet). */
const NO_SCHEMAS: OperationSchemas = { responses: {} };

export interface FhirClientCore {
  readonly resources: Readonly<Record<string, Partial<ResourceClient<Resource, object>>>>;
  readonly system: Partial<SystemClient>;
}

export function createFhirClient(options: FhirClientOptions, model: FhirCapabilityModel): FhirClientCore {
  const pipeline = createPipeline({
    ...options,
    provider: options.provider ?? "fhir",
    headers: { accept: "application/fhir+json", ...options.headers },
    retry: options.retry === false ? false : { ...options.retry, classify: { ...options.retry?.classify, refine: options.retry?.classify?.refine ?? refineFhirClassification } },
  });
  const base = new URL(options.baseUrl ?? "http://invalid.local");
  const basePath = base.pathname.replace(/\/+$/, "");

  async function call<T>(type: string, interaction: TypeInteraction | SystemInteraction, input: object, callOptions: CallOptions = {}, path?: string): Promise<FhirResult<T>> {
    const operation = interactionOperation(type, interaction);
    return callOperation(path === undefined ? operation : { ...operation, path }, input, callOptions);
  }

  async function callOperation<T>(operation: OperationDescriptor, input: object, callOptions: CallOptions): Promise<FhirResult<T>> {
    // The pipeline's result, seen untyped: FHIR calls have no OpenAPI operation type.
    const result = (await pipeline.call<never>(operation, NO_SCHEMAS, input, callOptions)) as unknown as { data?: unknown; error?: CarewireError; response: Response | undefined; meta: ResultMeta };
    const error = result.error;
    if (error instanceof HttpError && isOperationOutcome(error.body)) {
      const fhir = new FhirError(error.status, error.body, error.response);
      fhir.meta = result.meta;
      return { error: fhir, response: result.response, meta: result.meta };
    }
    if (error || callOptions.stream || result.data === undefined || typeof result.data !== "object") return result as unknown as FhirResult<T>;
    // Tolerant FHIR reading: elements R4 does not define are kept, and reported.
    const unknownFields = unknownFhirElements(result.data);
    const meta = unknownFields.length > 0 ? { ...result.meta, drift: { unknownFields, issues: result.meta.drift.issues } } : result.meta;
    if (options.strict && typeof (result.data as { resourceType?: unknown }).resourceType === "string") {
      const issues = fhirSchemaIssues(result.data);
      if (issues.length > 0) {
        const violation = new ContractViolationError(result.response!.status, issues, result.data);
        violation.meta = meta;
        return { error: violation, response: result.response, meta };
      }
    }
    return { data: result.data as T, response: result.response!, meta };
  }

  /** A server link as a path under the base URL, or a typed refusal (F2). */
  function linkPath(link: string): string {
    const url = new URL(link, base);
    if (url.origin !== base.origin || !(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))) {
      throw new UntrustedUrlError(url.href, `${base.origin}${basePath}`);
    }
    return `${url.pathname.slice(basePath.length) || "/"}${url.search}`;
  }

  function resourceClient(type: string, interactions: readonly TypeInteraction[]): Partial<ResourceClient<Resource, object>> {
    const client: ResourceClient<Resource, object> = {
      read: (id, o) => call(type, "read", { params: { path: { id } } }, o),
      vread: (id, vid, o) => call(type, "vread", { params: { path: { id, vid } } }, o),
      search: (params = {}, o) => {
        const query = searchQuery(params).toString();
        return call(type, "search-type", {}, o, `/${type}${query ? `?${query}` : ""}`);
      },
      async *searchPages(params = {}, o) {
        let page: FhirResult<Bundle> = await client.search(params, o);
        for (;;) {
          if (page.error) throw page.error;
          yield page.data as Bundle<Resource>;
          const next = page.data.link?.find((l) => l.relation === "next")?.url;
          if (!next) return;
          page = await call(type, "search-type", {}, o, linkPath(next));
        }
      },
      async *searchAll(params = {}, o) {
        for await (const bundle of client.searchPages(params, o)) {
          for (const entry of bundle.entry ?? []) {
            // `_include`d resources ride along with search.mode "include": not matches.
            if (entry.resource && entry.search?.mode !== "include" && entry.search?.mode !== "outcome") yield entry.resource;
          }
        }
      },
      create: (resource, o = {}) => {
        const { ifNoneExist, ...rest } = o;
        const condition = ifNoneExist === undefined ? undefined : typeof ifNoneExist === "string" ? ifNoneExist : searchQuery(ifNoneExist).toString();
        if (options.provenance) return writeWithProvenance(type, resource, { method: "POST", ...(condition ? { ifNoneExist: condition } : {}) }, rest);
        return call(type, "create", { body: resource }, withHeaders(rest, { prefer: "return=representation", ...(condition ? { "if-none-exist": condition } : {}) }));
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
        const etag = version === undefined ? undefined : version.startsWith("W/") ? version : `W/"${version}"`;
        if (options.provenance) return writeWithProvenance(type, resource, { method: "PUT", ...(etag ? { ifMatch: etag } : {}) }, rest);
        return call(type, "update", { params: { path: { id: resource.id } }, body: resource }, withHeaders(rest, { prefer: "return=representation", ...(etag ? { "if-match": etag } : {}) }));
      },
      patch: (id, operations, o = {}) => {
        const { ifMatch, ...rest } = o;
        const etag = typeof ifMatch === "string" ? (ifMatch.startsWith("W/") ? ifMatch : `W/"${ifMatch}"`) : undefined;
        return call(type, "patch", { params: { path: { id } }, body: operations }, withHeaders(rest, { prefer: "return=representation", ...(etag ? { "if-match": etag } : {}) }));
      },
      delete: (id, o) => call(type, "delete", { params: { path: { id } } }, o),
      history: (id, o) => call(type, "history-instance", { params: { path: { id } } }, o),
    };
    const declared = new Set<string>(interactions.flatMap((i) => METHODS_OF[i]));
    return Object.fromEntries(Object.entries(client).filter(([name]) => declared.has(name)));
  }

  /** F4: the write and its Provenance in one transaction; the result is the written resource. */
  async function writeWithProvenance<R extends Resource>(type: string, resource: R, request: { method: "POST" | "PUT"; ifNoneExist?: string; ifMatch?: string }, o: CallOptions): Promise<FhirResult<R>> {
    const provenance = options.provenance!;
    const requestId = o.requestId ?? randomUUID();
    // The Provenance is created only if none exists for this logical write, so a retry after
    // a lost response (or a re-run with the same business key) does not record it twice.
    const writeKey = o.idempotencyKey ?? (o.businessKey !== undefined ? deriveIdempotencyKey(options.provider ?? "fhir", `${type}.provenance`, o.businessKey) : requestId);
    const provenanceSource = `${provenance.source}#${writeKey}`;
    const fullUrl = request.method === "POST" ? `urn:uuid:${randomUUID()}` : `${type}/${resource.id ?? ""}`;
    const written = { ...resource, meta: { ...resource.meta, source: `${provenance.source}#${requestId}` } } as R;
    const bundle: Bundle = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { fullUrl, resource: written, request: { method: request.method, url: request.method === "POST" ? type : `${type}/${resource.id ?? ""}`, ...(request.ifNoneExist ? { ifNoneExist: request.ifNoneExist } : {}), ...(request.ifMatch ? { ifMatch: request.ifMatch } : {}) } },
        {
          resource: { ...provenanceFor({ reference: fullUrl }, provenance, requestId), meta: { source: provenanceSource } },
          request: { method: "POST", url: "Provenance", ifNoneExist: searchQuery({ _source: provenanceSource }).toString() },
        },
      ],
    };
    const result = await call<Bundle>("", "transaction", { body: bundle }, withHeaders({ ...o, requestId }, { prefer: "return=representation" }));
    if (result.error) return result;
    const entry: BundleEntry | undefined = result.data.entry?.[0];
    if (entry?.resource) return { data: entry.resource as R, response: result.response, meta: result.meta };
    // Some servers answer with locations only: read back what was written.
    const location = entry?.response?.location;
    if (!location) return refused(type, "write", "the transaction response named no written resource") as FhirResult<R>;
    const [, id] = linkPath(location).split("/").filter(Boolean);
    return call(type, "read", { params: { path: { id } } }, o);
  }

  function refused<T>(type: string, what: string, why: string): FhirResult<T> {
    return refusedWith(new InvalidRequestError(`${type}.${what}: ${why}`), `${type}.${what}`);
  }

  /** A call that ends before anything is sent: the typed error with an empty meta. */
  function refusedWith<T>(error: InvalidRequestError | UntrustedUrlError, operationId: string = error.kind): FhirResult<T> {
    const meta: ResultMeta = { provider: options.provider ?? "fhir", operationId, method: "", path: "", requestId: "", attempts: [], startedAt: new Date().toISOString(), durationMs: 0, source: "network", drift: { unknownFields: [], issues: [] } };
    error.meta = meta;
    return { error, response: undefined, meta };
  }

  /** Whether credentials may go to a URL: under the base URL only. */
  function trusted(link: string): boolean {
    try {
      linkPath(link);
      return true;
    } catch {
      return false;
    }
  }

  const resources = Object.fromEntries(Object.entries(model.resources).map(([type, interactions]) => [type, resourceClient(type, interactions)]));
  const system: Partial<SystemClient> = {};
  if (model.operations?.includes("export")) {
    const fetchImpl = options.fetch ?? ((request: Request) => fetch(request));
    system.bulkExport = async (request = {}) => {
      try {
        return await bulkExport(request, { clock: options.clock ?? systemClock, random: options.random ?? Math.random, call: callOperation, linkPath, trusted, fetch: fetchImpl });
      } catch (error) {
        // A status URL on another origin: refused before anything was sent there.
        if (error instanceof UntrustedUrlError) return refusedWith<BulkExportJob>(error);
        throw error;
      }
    };
  }
  if (model.system.includes("transaction")) system.transaction = (bundle, o) => call("", "transaction", { body: bundle }, withHeaders(o, { prefer: "return=representation" }));
  if (model.system.includes("batch")) system.batch = (bundle, o) => call("", "batch", { body: bundle }, withHeaders(o, { prefer: "return=representation" }));
  return { resources, system };
}

const METHODS_OF: Record<TypeInteraction, readonly string[]> = {
  read: ["read"],
  vread: ["vread"],
  "search-type": ["search", "searchPages", "searchAll"],
  create: ["create", "ensure"],
  update: ["update"],
  patch: ["patch"],
  delete: ["delete"],
  "history-instance": ["history"],
};

function withHeaders(options: CallOptions = {}, headers: Record<string, string>): CallOptions {
  return { ...options, headers: { ...headers, ...options.headers } };
}

