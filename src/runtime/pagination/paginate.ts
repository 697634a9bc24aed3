/**
 * Paging through an operation the registry marks as pageable: `pages` yields each page,
 * `items` each item, and every page is one ordinary call through the client's pipeline
 * (retries, 429 waits, pacing and the breaker apply to each page on its own; `deadlineMs`
 * and `timeoutMs` bound each page call).
 *
 * Guards: a next link must stay under the base URL (UntrustedUrlError, nothing sent), a next
 * request already made in this iteration ends it (RepeatedCursorError), at most `maxPages`
 * pages per run (LimitExceededError), and the caller's AbortSignal stops it between pages
 * and inside a page call (AbortedError). A failed page call throws its typed error.
 *
 * Checkpoint guarantee: a page's position is saved once all of its items have been handed
 * over and the caller has asked for what comes next. A run that stops before that (a crash,
 * a thrown error or a `break` in the middle of a page) resumes at the start of that page:
 * its items already handed over come again, every other item exactly once, in order. A
 * caller that needs exactly once for every item handles a page at a time (`pages`), or
 * makes its per-item work idempotent.
 */
import { AbortedError, CarewireError, InvalidRequestError, LimitExceededError, MalformedResponseError } from "../core/errors.js";
import type { OperationDescriptor, OperationSchemas } from "../core/operation.js";
import type { Pipeline } from "../core/pipeline.js";
import type { RawCallInput } from "../wire/request.js";
import { sha256Hex } from "../portable/sha256.js";
import { canonicalJson } from "../wire/canonical-json.js";
import { linkResolver, type LinkTarget } from "../wire/link-target.js";
import { valueAt } from "./body-path.js";
import type { PagingPosition } from "./checkpoint.js";
import type { PaginationDescriptor } from "./descriptor.js";
import { CheckpointMismatchError, RepeatedCursorError } from "./errors.js";
import { firstRequest, nextRequest, type PageRequest } from "./page-request.js";
import type { Page, PagingOptions } from "./types.js";

export const DEFAULT_MAX_PAGES = 1_000;

/** What paging needs of a client: its pipeline, the operation with its paging descriptor, and the base URL links must stay under. */
export interface PagingTarget {
  readonly pipeline: Pipeline;
  readonly operation: OperationDescriptor & { readonly pagination: PaginationDescriptor };
  readonly schemas: OperationSchemas;
  readonly baseUrl: string | undefined;
}

export async function* pages(target: PagingTarget, input: unknown = {}, options: PagingOptions = {}): AsyncGenerator<Page<unknown, unknown>, void, undefined> {
  const { operation } = target;
  const paging = operation.pagination;
  const { maxPages = DEFAULT_MAX_PAGES, pageSize, checkpoint, ...callOptions } = options;
  if (!(Number.isInteger(maxPages) && maxPages >= 1)) throw new InvalidRequestError(`${operation.operationId}: maxPages must be a whole number ≥ 1, got ${String(maxPages)}`);
  if (pageSize !== undefined && !(Number.isInteger(pageSize) && pageSize >= 1)) throw new InvalidRequestError(`${operation.operationId}: pageSize must be a whole number ≥ 1, got ${String(pageSize)}`);
  // A size that cannot be sent would be silently ignored, and the pages not be the size asked for.
  if (pageSize !== undefined && paging.sizeParam === undefined) throw new InvalidRequestError(`${operation.operationId}: pageSize was given, but the operation has no page-size parameter`);
  const raw = (input ?? {}) as RawCallInput;
  const fingerprint = fingerprintOf(operation, raw);
  let position: PagingPosition = { next: firstRequest(paging, pageSize), pagesRead: 0, itemsRead: 0, fingerprint };
  if (checkpoint) {
    const saved = await checkpoint.store.load(checkpoint.name);
    if (saved !== undefined && saved.fingerprint !== fingerprint) throw new CheckpointMismatchError(checkpoint.name, operation.operationId);
    if (saved !== undefined) position = saved;
  }
  let resolveLink: ((link: unknown) => LinkTarget) | undefined;
  const linkTarget = (link: string) => (resolveLink ??= linkResolver(target.baseUrl ?? "http://invalid.local"))(link);
  const requested = new Set<string>();
  let request = position.next;
  for (let pagesThisRun = 0; request !== null; ) {
    if (callOptions.signal?.aborted) throw new AbortedError(callOptions.signal.reason);
    requested.add(canonicalJson(request));
    const result = await target.pipeline.request<unknown, CarewireError>(...callFor(target, raw, request), callOptions);
    if (result.error) throw result.error;
    const items = valueAt(result.data, paging.items);
    if (!Array.isArray(items)) throw withMeta(new MalformedResponseError(`the page has no items array at "${paging.items.join(".") || "(the body)"}"`, result.response.status, ""), result.meta);
    pagesThisRun++;
    const callerQuery = raw.params?.query ?? {};
    let next: PageRequest | undefined;
    try {
      next = nextRequest(paging, request, { data: result.data, items, response: result.response, callerQuery }, linkTarget);
    } catch (error) {
      // The page itself is sound; what is wrong is the way on: its items are handed over first.
      yield { number: position.pagesRead + 1, items, data: result.data, response: result.response, meta: result.meta };
      throw error instanceof CarewireError ? withMeta(error, result.meta) : error;
    }
    yield { number: position.pagesRead + 1, items, data: result.data, response: result.response, meta: result.meta };
    // The caller asked for more: the page is handled.
    if (next !== undefined && requested.has(canonicalJson(next))) throw withMeta(new RepeatedCursorError(result.response.status, operation.operationId, position.pagesRead + 1), result.meta);
    position = { next: next ?? null, pagesRead: position.pagesRead + 1, itemsRead: position.itemsRead + items.length, fingerprint };
    if (checkpoint) await checkpoint.store.save(checkpoint.name, position);
    request = position.next;
    if (request !== null && pagesThisRun >= maxPages) throw new LimitExceededError("pages", maxPages);
  }
}

export async function* items(target: PagingTarget, input?: unknown, options?: PagingOptions): AsyncGenerator<unknown, void, undefined> {
  for await (const page of pages(target, input, options)) yield* page.items;
}

/** The operation and input of one page call. */
function callFor(target: PagingTarget, input: RawCallInput, request: PageRequest): [OperationDescriptor, OperationSchemas, RawCallInput] {
  if (request.kind === "query") {
    return [target.operation, target.schemas, { ...input, params: { ...input.params, query: { ...input.params?.query, ...request.query } } }];
  }
  // A server link names the whole URL: the operation's path and query give way to it; headers and cookies stay.
  const { operation } = target;
  const linked: OperationDescriptor = { ...operation, path: request.path, parameters: { ...operation.parameters, path: [], query: [] } };
  const params = { ...(input.params?.header ? { header: input.params.header } : {}), ...(input.params?.cookie ? { cookie: input.params.cookie } : {}) };
  return [linked, target.schemas, { params, rawQuery: request.query }];
}

function fingerprintOf(operation: OperationDescriptor, input: RawCallInput): string {
  return sha256Hex(`${operation.operationId}\n${canonicalJson(input)}`);
}

function withMeta<E extends CarewireError>(error: E, meta: E["meta"]): E {
  error.meta = meta;
  return error;
}
