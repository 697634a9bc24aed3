/**
 * A FHIR search as a poll target: "every resource of this type changed since my
 * checkpoint", asked as `_lastUpdated=ge<checkpoint>&_sort=_lastUpdated`, oldest first.
 *
 * `ge` rather than `gt`: a server can write another resource in the very millisecond of the
 * last change handed off, after the search that found it; `gt` would miss it for good. So
 * the search starts at that instant, inclusive, and skips the versions the checkpoint says
 * were handled at it. After each page the checkpoint moves on and the next search starts
 * from there, rather than following an offset link that shifts when resources change
 * between pages; only a page filled by one single instant is followed by its `next` link,
 * and such pages do not count toward `maxPages` (else a crowded instant would stall).
 * One such search per tenant can stand in for many per-resource polls of cold resources.
 */
import type { Bundle, Resource } from "fhir/r4.js";
import type { CallOptions } from "../runtime/core/types.js";
import { MAX_HANDLED, writeCheckpoint } from "./checkpoint-store.js";
import { PollDataError, PollOptionsError } from "./errors.js";
import type { ChangeBatch, PollCheckpoint, PollContext, PollTarget } from "./types.js";

/** What the target asks of a resource client (a generated client's `fhir.Patient` has it). */
export interface ChangedSinceSearch<R extends Resource> {
  /** The changes since an instant, oldest first; or, to find where to start, the newest first. */
  searchPages(params: ChangedSinceParams | NewestFirstParams, options?: CallOptions): AsyncGenerator<Bundle<R>, void, undefined>;
}

export interface ChangedSinceParams {
  readonly _lastUpdated: `ge${number}-${number}-${number}T${string}`;
  readonly _sort: "_lastUpdated";
  readonly _count: number;
}

export interface NewestFirstParams {
  readonly _sort: "-_lastUpdated";
  readonly _count: number;
}

/** Where a server with nothing yet starts: everything it will write comes after. */
const BEGINNING = "1970-01-01T00:00:00.000Z";

export interface FhirChangesTargetOptions {
  readonly key: string;
  readonly tenant: string;
  readonly provider?: string;
  /**
   * Where a target with no checkpoint starts: an ISO instant. Default: the server's newest
   * change at the first poll (asked by the server's own order, so a client clock ahead of the
   * server's skips nothing); changes before it are not handed off.
   */
  readonly startAt?: string;
  /** Resources per page. Default 100. */
  readonly pageSize?: number;
  /** Pages read in one poll; the rest waits for the next poll (which comes soon: this one found changes). Default 20. */
  readonly maxPages?: number;
  /**
   * Hand off only changes at least this old, in ms by the server's clock (the search answer's
   * `meta.lastUpdated`; the poller's clock when the server does not say). A server that stamps
   * `lastUpdated` when a transaction starts and shows it when it commits can reveal an older
   * change after a newer one; waiting this long lets it land before the checkpoint moves past
   * it. Costs the same in freshness. Default 0.
   */
  readonly settleMs?: number;
}

export function fhirChangesTarget<R extends Resource>(resources: ChangedSinceSearch<R>, options: FhirChangesTargetOptions): PollTarget<R> {
  const pageSize = options.pageSize ?? 100;
  const maxPages = options.maxPages ?? 20;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new PollOptionsError(`pageSize must be a whole number of at least 1, got ${pageSize}`);
  if (!Number.isInteger(maxPages) || maxPages < 1) throw new PollOptionsError(`maxPages must be a whole number of at least 1, got ${maxPages}`);
  const settleMs = options.settleMs ?? 0;
  if (!(Number.isFinite(settleMs) && settleMs >= 0)) throw new PollOptionsError(`settleMs must be a number of ms of at least 0, got ${settleMs}`);
  if (options.startAt !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(options.startAt) || Number.isNaN(Date.parse(options.startAt)))) throw new PollOptionsError("startAt must be an ISO instant (a date and a time)");
  return {
    key: options.key,
    tenant: options.tenant,
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    async *changesSince(checkpoint: PollCheckpoint | undefined, context: PollContext): AsyncGenerator<ChangeBatch<R>> {
      const resumed = checkpoint?.lastUpdated !== undefined;
      const callOptions: CallOptions = { signal: context.signal, deadlineMs: context.deadlineMs };
      let position: PollCheckpoint = resumed ? checkpoint : options.startAt !== undefined ? { lastUpdated: options.startAt, handledAtLastUpdated: [] } : await newestOf(resources, pageSize, callOptions);
      // The starting instant is saved before anything is found: the next poll must start from it, not from its own time.
      if (!resumed) yield { changes: [], checkpoint: position };
      // Without a settle time nothing is held back, whatever the server's clock says.
      const settledBy = (bundle: Bundle) => (settleMs > 0 ? serverTime(bundle, context.now) - settleMs : Number.POSITIVE_INFINITY);
      let pages = 0;
      searches: while (pages < maxPages) {
        const params: Parameters<ChangedSinceSearch<R>["searchPages"]>[0] = { _lastUpdated: `ge${position.lastUpdated!}` as `ge${number}-${number}-${number}T${string}`, _sort: "_lastUpdated", _count: pageSize } as const;
        for await (const bundle of resources.searchPages(params, callOptions)) {
          const { batch: found, unsettled } = newSince(position, bundle, settledBy(bundle));
          const moved = found.checkpoint.lastUpdated !== position.lastUpdated;
          // Pages that stay at the checkpoint's instant are not counted: re-reading the versions
          // handled there must not use up the poll before it reaches the ones after them. They are
          // bounded anyway: a checkpoint lists at most so many versions of one instant.
          if (moved) pages++;
          if (found.changes.length > 0) {
            refuseUnrecordable(found.checkpoint);
            yield found;
            position = found.checkpoint;
            // Search again from the new instant: fresh offsets, nothing shifted under them.
            if (moved && !unsettled && hasNext(bundle)) continue searches;
          }
          // Past the first change too recent to hand off, the rest waits for a later poll.
          if (unsettled || !hasNext(bundle) || pages >= maxPages) return;
        }
        return;
      }
    },
  };
}

/** A checkpoint the store would refuse must stop the poll before its hand-off: after it, the same batch would come back on every poll. */
function refuseUnrecordable(checkpoint: PollCheckpoint): void {
  try {
    writeCheckpoint(checkpoint);
  } catch {
    throw new PollDataError(`more versions share one lastUpdated than a checkpoint can list (${MAX_HANDLED}); the poll stops before handing them off`);
  }
}

/** The server's newest change and every version at its instant (they came before the start), or the beginning on an empty server. */
async function newestOf<R extends Resource>(resources: ChangedSinceSearch<R>, pageSize: number, callOptions: CallOptions): Promise<PollCheckpoint> {
  for await (const bundle of resources.searchPages({ _sort: "-_lastUpdated", _count: pageSize }, callOptions)) {
    const matches = (bundle.entry ?? []).flatMap((e) => (e.resource !== undefined && (e.search?.mode ?? "match") === "match" ? [e.resource] : []));
    if (matches.length === 0) return { lastUpdated: BEGINNING, handledAtLastUpdated: [] };
    const at = matches.map((r) => (r.meta?.lastUpdated === undefined ? Number.NaN : Date.parse(r.meta.lastUpdated)));
    if (at.some(Number.isNaN)) throw new PollDataError("a resource in the search answer has no readable meta.lastUpdated; the target cannot start after it");
    // The page's newest, not its first: a server that ignored the order must not start the target in the past's middle.
    const newestMs = Math.max(...at);
    const atNewest = matches.filter((_, i) => at[i] === newestMs);
    return { lastUpdated: atNewest[0]!.meta!.lastUpdated!, handledAtLastUpdated: atNewest.slice(0, MAX_HANDLED).map(versionOf) };
  }
  return { lastUpdated: BEGINNING, handledAtLastUpdated: [] };
}

/** The server's time of a search answer (its `meta.lastUpdated`), or `fallback` when it does not say. */
function serverTime(bundle: Bundle, fallback: number): number {
  const ms = bundle.meta?.lastUpdated === undefined ? Number.NaN : Date.parse(bundle.meta.lastUpdated);
  return Number.isNaN(ms) ? fallback : ms;
}

function versionOf(resource: Resource): string {
  return `${resource.resourceType}/${resource.id ?? ""}/_history/${resource.meta?.versionId ?? ""}`;
}

function hasNext(bundle: Bundle): boolean {
  return (bundle.link ?? []).some((l) => l.relation === "next");
}

/**
 * The page's resources not yet handed off, up to the first one newer than `settledBy` (epoch
 * ms; `unsettled` then says the page was cut there), and the checkpoint once they are.
 */
export function newSince<R extends Resource>(position: PollCheckpoint, bundle: Bundle<R>, settledBy = Number.POSITIVE_INFINITY): { readonly batch: ChangeBatch<R>; readonly unsettled: boolean } {
  const fromMs = position.lastUpdated === undefined ? Number.NEGATIVE_INFINITY : Date.parse(position.lastUpdated);
  const handled = new Set(position.handledAtLastUpdated ?? []);
  let newestMs = fromMs;
  let newest = position.lastUpdated;
  let atNewest = new Set(handled);
  const changes: R[] = [];
  let previousMs = Number.NEGATIVE_INFINITY;
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource;
    // Included resources and OperationOutcomes are not matches.
    if (resource === undefined || (entry.search?.mode !== undefined && entry.search.mode !== "match")) continue;
    const lastUpdated = resource.meta?.lastUpdated;
    const ms = lastUpdated === undefined ? Number.NaN : Date.parse(lastUpdated);
    if (Number.isNaN(ms)) throw new PollDataError(`a ${resource.resourceType} in the search answer has no readable meta.lastUpdated; it cannot be placed after the checkpoint`);
    // Moving the checkpoint past a page is only safe when nothing older can follow it.
    if (ms < previousMs) throw new PollDataError("the server did not sort the search by _lastUpdated; moving the checkpoint on could skip changes");
    previousMs = ms;
    if (ms > settledBy) return { batch: { changes, checkpoint: checkpointAt(newest, atNewest) }, unsettled: true };
    const version = versionOf(resource);
    if (ms < fromMs || (ms === fromMs && handled.has(version))) continue;
    changes.push(resource);
    if (ms > newestMs) {
      newestMs = ms;
      newest = lastUpdated;
      atNewest = new Set();
    }
    if (ms === newestMs) atNewest.add(version);
  }
  return { batch: { changes, checkpoint: checkpointAt(newest, atNewest) }, unsettled: false };
}

function checkpointAt(lastUpdated: string | undefined, handled: ReadonlySet<string>): PollCheckpoint {
  return { ...(lastUpdated !== undefined ? { lastUpdated } : {}), handledAtLastUpdated: [...handled] };
}
