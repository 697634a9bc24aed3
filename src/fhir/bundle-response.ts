/**
 * What a transaction or batch response says about each entry: its status, where the
 * resource now lives, its version, and the server's OperationOutcome. A server may run a
 * "transaction" entry by entry and still answer 200, so a failed entry is only visible
 * here; the client reads these before it hands a Bundle back.
 */
import type { Bundle, OperationOutcome, Resource } from "fhir/r4.js";
import { MalformedResponseError } from "../runtime/core/errors.js";
import { FhirError, isOperationOutcome } from "./outcome.js";

/** One entry of a transaction or batch response, as the server reported it. */
export interface EntryOutcome {
  /** The entry's position, the same as in the request Bundle. */
  readonly index: number;
  /** The HTTP status of the entry (`"201 Created"` and `"201"` both read as 201). */
  readonly status: number;
  /** Whether the entry took effect (a 2xx or 3xx status). */
  readonly ok: boolean;
  readonly location?: string;
  readonly etag?: string;
  readonly lastModified?: string;
  /** The server's OperationOutcome for the entry, when it gave a well-formed one. */
  readonly outcome?: OperationOutcome;
  /** The resource the server returned for the entry, when it returned one. */
  readonly resource?: Resource;
}

/** A status line's code: `201`, `201 Created`, `HTTP/1.1 201 Created`. */
function statusCode(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^\s*(?:HTTP\/\d(?:\.\d)?\s+)?(\d{3})(?:\s|$)/.exec(value);
  const code = match ? Number(match[1]) : NaN;
  return code >= 100 && code <= 599 ? code : undefined;
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value.length > 0 ? value : undefined);

/**
 * Each entry's outcome, or why the response cannot be read as one: an entry without a
 * response or without a status would leave a write neither known done nor known failed.
 * Extra elements and an outcome that is not an OperationOutcome are tolerated (ignored).
 */
export function readEntryOutcomes(bundle: unknown, httpStatus = 200): readonly EntryOutcome[] | MalformedResponseError {
  const entries: unknown = typeof bundle === "object" && bundle !== null ? (bundle as { entry?: unknown }).entry : undefined;
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) return new MalformedResponseError("the response Bundle's entry is not a list", httpStatus, "");
  const outcomes: EntryOutcome[] = [];
  for (const [index, entry] of (entries as unknown[]).entries()) {
    const response: unknown = typeof entry === "object" && entry !== null ? (entry as { response?: unknown }).response : undefined;
    if (typeof response !== "object" || response === null) return new MalformedResponseError(`response entry ${index} has no response element`, httpStatus, "");
    const { status, location, etag, lastModified, outcome } = response as Record<string, unknown>;
    const code = statusCode(status);
    if (code === undefined) return new MalformedResponseError(`response entry ${index} has no readable status`, httpStatus, typeof status === "string" ? status.slice(0, 40) : "");
    const resource: unknown = (entry as { resource?: unknown }).resource;
    const located = text(location);
    const tagged = text(etag);
    const modified = text(lastModified);
    outcomes.push({
      index,
      status: code,
      ok: code < 400,
      ...(located !== undefined ? { location: located } : {}),
      ...(tagged !== undefined ? { etag: tagged } : {}),
      ...(modified !== undefined ? { lastModified: modified } : {}),
      ...(isOperationOutcome(outcome) ? { outcome } : {}),
      ...(typeof resource === "object" && resource !== null && typeof (resource as { resourceType?: unknown }).resourceType === "string" ? { resource: resource as Resource } : {}),
    });
  }
  return outcomes;
}

/**
 * Each entry's outcome of a batch or transaction response. The Bundles the client returns
 * were read with the same rules before they were handed out, so for those this never
 * throws; for a Bundle from elsewhere it throws the MalformedResponseError that says why.
 */
export function entryOutcomes(bundle: Bundle): readonly EntryOutcome[] {
  const outcomes = readEntryOutcomes(bundle);
  if (outcomes instanceof MalformedResponseError) throw outcomes;
  return outcomes;
}

/**
 * One entry of a transaction failed although the server answered the whole request with a
 * 2xx: it ran the entries one by one, so the entries before (and maybe after) this one may
 * have been applied. `entries` says which. The status and OperationOutcome are the entry's.
 */
export class BundleEntryError extends FhirError {
  constructor(
    /** The failed entry's position in the request Bundle. */
    readonly entryIndex: number,
    status: number,
    outcome: OperationOutcome,
    response: Response,
    /** Every entry's outcome, the applied ones included. */
    readonly entries: readonly EntryOutcome[],
  ) {
    super(status, outcome, response);
    this.message = `transaction entry ${entryIndex}: ${this.message}`;
  }
}

/** The first failed entry of a transaction response as a typed error, or undefined when every entry took effect. */
export function failedTransactionEntry(outcomes: readonly EntryOutcome[], response: Response): BundleEntryError | undefined {
  const failed = outcomes.find((o) => !o.ok);
  if (failed === undefined) return undefined;
  // Without an OperationOutcome the status still tells the story; no issue is made up.
  return new BundleEntryError(failed.index, failed.status, failed.outcome ?? { resourceType: "OperationOutcome", issue: [] }, response, outcomes);
}
