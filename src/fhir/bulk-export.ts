/**
 * Bulk Data `$export` (the FHIR Bulk Data Access IG): kick-off with
 * `Prefer: respond-async`, poll the status URL the server gives in `Content-Location` no
 * faster than it allows (its `Retry-After`, else exponential backoff; `X-Progress`
 * reported), then stream each NDJSON file line by line with bounded memory.
 *
 * Credentials go only where the base URL's origin is: a status or file URL elsewhere is
 * refused with UntrustedUrlError, unless the manifest says files need no token, in which
 * case they are fetched with no credentials at all.
 */
import type { OperationOutcome, Resource } from "fhir/r4.js";
import { backoffDelay } from "../runtime/policies/backoff.js";
import type { Clock } from "../runtime/core/clock.js";
import { AbortedError, MalformedResponseError, TimeoutError } from "../runtime/core/errors.js";
import type { OperationDescriptor } from "../runtime/core/operation.js";
import { readServerHints } from "../runtime/wire/server-hints.js";
import { sendAttempt } from "../runtime/wire/transport.js";
import type { CallOptions } from "../runtime/core/types.js";
import { fhirOperation } from "./interactions.js";
import { ndjsonLines } from "./ndjson.js";
import { UntrustedUrlError } from "./outcome.js";
import type { FhirCallError, FhirResult, LinkTarget } from "./client.js";

export interface BulkExportRequest {
  /** `_type`: resource types to export (default: all the server offers). */
  readonly types?: readonly string[];
  /** `_since`: only resources changed after this instant. */
  readonly since?: Date | string;
  readonly outputFormat?: "application/fhir+ndjson" | "application/ndjson" | "ndjson";
  /** `_typeFilter` searches, e.g. `Observation?status=final`. */
  readonly typeFilter?: readonly string[];
  /** Longest time to wait for the export to complete. Default 1 hour. */
  readonly maxWaitMs?: number;
  /** First wait when the server gives no Retry-After; doubles each poll up to `pollCapMs`. Default 1 s. */
  readonly pollBaseMs?: number;
  /** Default 60 s. */
  readonly pollCapMs?: number;
  /** Each 202 the status URL answers: the server's X-Progress and the wait before the next poll. */
  readonly onProgress?: (progress: { readonly text: string | undefined; readonly nextPollMs: number; readonly polls: number }) => void;
  readonly signal?: AbortSignal;
}

export interface BulkManifest {
  readonly transactionTime: string;
  readonly request: string;
  readonly requiresAccessToken: boolean;
  readonly output: ReadonlyArray<{ readonly type: string; readonly url: string; readonly count?: number }>;
  readonly error: ReadonlyArray<{ readonly type: string; readonly url: string }>;
}

export interface BulkExportJob {
  readonly manifest: BulkManifest;
  /** What has been downloaded so far (live: read it while iterating, for progress). */
  readonly progress: { readonly bytes: number; readonly resources: number };
  /** How many times the status URL was polled before completion. */
  readonly polls: number;
  /** Every exported resource, file after file, optionally of one type: streamed, never all in memory. */
  resources(type?: string): AsyncGenerator<Resource, void, undefined>;
  /** The OperationOutcomes of the manifest's error files. */
  errors(): Promise<OperationOutcome[]>;
}

/** What the bulk exporter needs from the client: calls through its pipeline. */
export interface BulkDeps {
  readonly clock: Clock;
  readonly random: () => number;
  call<T>(operation: OperationDescriptor, input: object, options: CallOptions): Promise<FhirResult<T>>;
  /** A server URL as a path and query under the base URL (UntrustedUrlError when it is not). */
  linkTarget(url: string): LinkTarget;
  /** Plain fetch, for files the manifest says need no token (sent without credentials). */
  fetch(request: Request): Promise<Response>;
  /** How long a file may take to start answering, and may stall (the client's attempt timeout). */
  readonly timeoutMs: number;
}

/** An export file's error answer is read (and dropped) up to this size. */
const MAX_ERROR_BODY_BYTES = 1024 * 1024;

function bulkOperation(operationId: string, path: string): OperationDescriptor {
  return fhirOperation({ operationId, tag: "bulk", method: "get", path, safety: "safe", criticality: "batch" });
}

export async function bulkExport(request: BulkExportRequest, deps: BulkDeps): Promise<FhirResult<BulkExportJob>> {
  const query = new URLSearchParams();
  if (request.types?.length) query.set("_type", request.types.join(","));
  if (request.since !== undefined) query.set("_since", request.since instanceof Date ? request.since.toISOString() : request.since);
  if (request.outputFormat) query.set("_outputFormat", request.outputFormat);
  if (request.typeFilter?.length) query.set("_typeFilter", request.typeFilter.join(","));
  const base: CallOptions = { cache: "no-store", ...(request.signal ? { signal: request.signal } : {}) };

  const kickoff = await deps.call<unknown>(bulkOperation("export", "/$export"), { rawQuery: query.toString() }, { ...base, headers: { prefer: "respond-async", accept: "application/fhir+json" } });
  if (kickoff.error) return kickoff;
  const location = kickoff.response.headers.get("content-location");
  if (kickoff.response.status !== 202 || !location) {
    return failure(kickoff, new MalformedResponseError(`$export answered ${kickoff.response.status}${location ? "" : " without Content-Location"}; expected 202 with a status URL`, kickoff.response.status, ""));
  }
  let statusUrl: LinkTarget;
  try {
    statusUrl = deps.linkTarget(location);
  } catch (error) {
    // Elsewhere, or no URL at all: refused before anything is sent, with the kick-off's meta.
    if (error instanceof UntrustedUrlError) return failure(kickoff, error);
    throw error;
  }

  const started = deps.clock.now();
  const maxWaitMs = request.maxWaitMs ?? 3_600_000;
  const backoff = { baseMs: request.pollBaseMs ?? 1_000, capMs: request.pollCapMs ?? 60_000, strategy: "full" as const };
  for (let polls = 1; ; polls++) {
    const status = await deps.call<BulkManifest>(bulkOperation("export-status", statusUrl.path), { rawQuery: statusUrl.query }, { ...base, headers: { accept: "application/json" } });
    if (status.error) return status;
    if (status.response.status === 200) {
      const manifest = status.data;
      if (!isManifest(manifest)) return failure(status, new MalformedResponseError("the export completed without a valid manifest", 200, ""));
      return { data: job({ ...manifest, error: manifest.error ?? [] }, polls, deps, base), response: status.response, meta: status.meta };
    }
    // 202: still running. The server's Retry-After is a floor; without one, back off exponentially.
    const now = deps.clock.now();
    const serverWait = readServerHints(status.response.headers, now).retryAfterMs;
    // Full jitter, never below the base (full jitter ignores the previous delay).
    const ownWait = Math.max(backoff.baseMs, backoffDelay(polls, 0, backoff, deps.random));
    // Never faster than the first backoff step, even when the server says 0 or a past date.
    const wait = serverWait !== undefined ? Math.max(serverWait, backoff.baseMs) : ownWait;
    request.onProgress?.({ text: status.response.headers.get("x-progress") ?? undefined, nextPollMs: wait, polls });
    if (now + wait - started > maxWaitMs) return failure(status, new TimeoutError(maxWaitMs, "request"));
    try {
      await deps.clock.sleep(wait, request.signal);
    } catch (error) {
      // The caller gave up while we waited: a typed result, like every other end.
      return failure(status, error instanceof AbortedError ? error : new AbortedError(error));
    }
  }
}

function job(manifest: BulkManifest, polls: number, deps: BulkDeps, base: CallOptions): BulkExportJob {
  async function open(url: string): Promise<ReadableStream<Uint8Array>> {
    // Credentials only under the base URL: linkTarget refuses anything else. A file the
    // manifest says needs no token may live elsewhere (pre-signed storage URLs).
    const target = manifest.requiresAccessToken ? deps.linkTarget(url) : underBase(url, deps);
    if (target) {
      const file = await deps.call<ReadableStream<Uint8Array>>(bulkOperation("export-file", target.path), { rawQuery: target.query }, { ...base, stream: true, headers: { accept: "application/fhir+ndjson" } });
      if (file.error) throw file.error;
      return file.data;
    }
    // Elsewhere, and no token needed: send none, and no header of the client's either. The
    // headers must come within the attempt timeout; the NDJSON reader bounds the body.
    const { response } = await sendAttempt(() => new Request(url, { headers: { accept: "application/fhir+ndjson" }, redirect: "manual" }), { fetch: deps.fetch, timeoutMs: deps.timeoutMs, ...(base.signal ? { signal: base.signal } : {}), stream: true, maxBytes: MAX_ERROR_BODY_BYTES, maxRedirects: 5 });
    if (!response.ok || !response.body) throw new MalformedResponseError(`an export file answered ${response.status}`, response.status, "");
    return response.body;
  }
  const progress = { bytes: 0, resources: 0 };
  // A file that sends nothing for as long as an attempt may take has stalled.
  const counted = { onBytes: (n: number) => void (progress.bytes += n), idleTimeoutMs: deps.timeoutMs };
  return {
    manifest,
    polls,
    progress,
    async *resources(type) {
      for (const output of manifest.output) {
        if (type !== undefined && output.type !== type) continue;
        for await (const resource of ndjsonLines(await open(output.url), `${output.type} export file`, counted)) {
          progress.resources++;
          yield resource as Resource;
        }
      }
    },
    async errors() {
      const outcomes: OperationOutcome[] = [];
      for (const e of manifest.error) for await (const outcome of ndjsonLines(await open(e.url), "export error file", { idleTimeoutMs: deps.timeoutMs })) outcomes.push(outcome as OperationOutcome);
      return outcomes;
    },
  };
}

/** The link target when the URL is under the base URL, else undefined. */
function underBase(url: string, deps: BulkDeps): LinkTarget | undefined {
  try {
    return deps.linkTarget(url);
  } catch (error) {
    if (error instanceof UntrustedUrlError) return undefined;
    throw error;
  }
}

function isManifest(value: unknown): value is BulkManifest {
  const m = value as Partial<BulkManifest> | null;
  return typeof m === "object" && m !== null && Array.isArray(m.output) && m.output.every((o) => typeof o?.url === "string" && typeof o?.type === "string") && (m.error === undefined || Array.isArray(m.error));
}

function failure<T>(from: { response: Response | undefined; meta: FhirResult<unknown>["meta"] }, error: FhirCallError): FhirResult<T> {
  error.meta = from.meta;
  return { error, response: from.response, meta: from.meta };
}
