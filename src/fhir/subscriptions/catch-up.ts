/**
 * Filling a gap in the event numbers: first from the server's event log (`$events`), page
 * by page; where the server has no `$events` (or no longer logs those events), by a search
 * of what changed since the last event handled (`_lastUpdated=ge…&_sort=_lastUpdated`).
 * A search finds each changed resource once, at its current version: the gap's events are
 * then covered by those versions, and a later event about an older version is stale.
 */
import type { Resource } from "fhir/r4.js";
import type { EventSequence } from "./event-sequence.js";
import type { SubscriptionServer } from "./subscription-server.js";

export interface Gap {
  readonly from: number;
  readonly to: number;
}

export interface CatchUpContext {
  readonly server: SubscriptionServer;
  readonly subscriptionId: string;
  readonly sequence: EventSequence;
  readonly filters: readonly string[];
  readonly payload: string;
  /** Whether `$events` is worth asking (false once the server said it has none). */
  eventsSupported: boolean;
  /** The timestamp of the last event handled, where a search starts. */
  since(): string | undefined;
  /** Hands every event that is next in line to the app; false when the app's handler failed. */
  deliverReady(): Promise<boolean>;
  /** Hands one searched resource to the app (unless a newer version was handed already); false when the handler failed. */
  deliverFound(resource: Resource, coversUpTo: number): Promise<boolean>;
  /** Everything up to `n` is handled. */
  coveredUpTo(n: number): Promise<void>;
}

/** Most `$events` pages one gap may take (a server that keeps answering the same page must not loop). */
const MAX_EVENT_PAGES = 10_000;

/**
 * Fetches the gap's events from the log, handing each page over before asking for the next,
 * so a gap larger than the hold buffer is still filled from the log: when the buffer is
 * full, what was held is handed over and the log is asked again from the first refused
 * event. How many events came back, or `undefined` when the app's handler failed.
 */
async function fromEventLog(ctx: CatchUpContext, gap: Gap): Promise<number | undefined> {
  let since = gap.from;
  let fetched = 0;
  for (let page = 0; page < MAX_EVENT_PAGES && since <= gap.to; page++) {
    const answer = await ctx.server.events(ctx.subscriptionId, since, gap.to, ctx.payload);
    if (answer === "unsupported") {
      ctx.eventsSupported = false;
      break;
    }
    ctx.sequence.learnCount(answer.eventsSinceStart);
    const inGap = answer.events.filter((e) => e.eventNumber >= since && e.eventNumber <= gap.to).sort((a, b) => a.eventNumber - b.eventNumber);
    // An empty page: the server no longer logs these events; the search covers the rest.
    if (inGap.length === 0) break;
    let next = since;
    for (const event of inGap) {
      if (ctx.sequence.offer(event) === "overflow") break;
      fetched++;
      next = event.eventNumber + 1;
    }
    if (!(await ctx.deliverReady())) return undefined;
    // Nothing taken and nothing handed over: the buffer is full of later events; the search covers the rest.
    if (next === since && ctx.sequence.lastHandled < since) break;
    since = Math.max(next, ctx.sequence.lastHandled + 1);
  }
  return fetched;
}

/** Covers the gap with a search of what changed since the last event handled; how many resources it handed over. */
async function fromSearch(ctx: CatchUpContext, gap: Gap): Promise<number | undefined> {
  let found = 0;
  for await (const resource of ctx.server.changedSince(ctx.filters, ctx.since())) {
    if (!(await ctx.deliverFound(resource, gap.to))) return undefined;
    found++;
  }
  await ctx.coveredUpTo(gap.to);
  return found;
}

/**
 * Fills `gap`; the outcome says how (and how many events or resources), or `undefined`
 * when the app's handler failed on the way. A failed call throws its typed error.
 */
export async function fillGap(ctx: CatchUpContext, gap: Gap): Promise<{ readonly via: "events" | "search"; readonly count: number } | undefined> {
  if (ctx.eventsSupported) {
    const fetched = await fromEventLog(ctx, gap);
    if (fetched === undefined || !(await ctx.deliverReady())) return undefined;
    if (ctx.sequence.lastHandled >= gap.to) return { via: "events", count: fetched };
  }
  const rest = { from: ctx.sequence.lastHandled + 1, to: gap.to };
  const found = await fromSearch(ctx, rest);
  return found === undefined ? undefined : { via: "search", count: found };
}
