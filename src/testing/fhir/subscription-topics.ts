/**
 * What the FHIR simulator's subscriptions are made of: the topics it offers, the fault knobs
 * for delivery, and the reading of a Subscription resource a client posts (topic-based
 * Subscriptions as R4 servers serve them, through the backport extensions).
 */
import { BACKPORT, FILTER_CRITERIA, HEARTBEAT_PERIOD, PAYLOAD_CONTENT, type PayloadContent } from "../../fhir/subscriptions/subscription-resource.js";
import type { StoredResource } from "./fhir-store.js";

export const TOPIC_CANONICAL = `${BACKPORT}/capabilitystatement-subscriptiontopic-canonical`;

export type TopicInteraction = "create" | "update" | "delete";

export interface SubscriptionTopicOptions {
  /** The topic's canonical URL (what a Subscription's `criteria` names). */
  readonly url: string;
  readonly resourceType: string;
  /** Which writes raise an event. Default all three. */
  readonly interactions?: readonly TopicInteraction[];
}

/** Delivery faults, drawn from a seeded sequence: the same seed replays the same run. */
export interface SubscriptionFaults {
  readonly seed?: number;
  /** Fraction of notifications never sent (the event is still counted and logged). */
  readonly drop?: number;
  /** Fraction of notifications sent twice. */
  readonly duplicate?: number;
  /** Fraction of notifications held back for `delayMs` on the simulator's clock, so later ones overtake them. */
  readonly delay?: number;
  readonly delayMs?: number;
}

export interface SubscriptionSimulatorOptions {
  readonly topics: readonly SubscriptionTopicOptions[];
  readonly faults?: SubscriptionFaults;
  /** Serve `Subscription/[id]/$events`. Default true; false plays a server without it. */
  readonly eventsOperation?: boolean;
  /** Bound on one notification POST (real time: it bounds a socket). Default 5 s. */
  readonly sendTimeoutMs?: number;
  /** The channel header reads back masked (`Authorization: ***`), as some servers store it; notifications still carry the real one. */
  readonly maskHeaders?: boolean;
  /** Events each subscription keeps for `$events`. Default 10,000. */
  readonly maxLoggedEvents?: number;
}

/** A Subscription as the simulator runs it. */
export interface ActiveSubscription {
  readonly id: string;
  readonly topic: SubscriptionTopicOptions;
  /** Each filter as search parameters the store understands. */
  readonly filters: ReadonlyArray<ReadonlyArray<[string, string]>>;
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly content: PayloadContent;
  readonly heartbeatMs: number | undefined;
}

type Extension = { url?: unknown; valueString?: unknown; valueCode?: unknown; valueUnsignedInt?: unknown };

function extensionsOf(element: unknown): Extension[] {
  const list = (element as { extension?: unknown } | undefined)?.extension;
  return Array.isArray(list) ? (list.filter((e) => typeof e === "object" && e !== null) as Extension[]) : [];
}

/** Reads a posted Subscription; a reason instead when the simulator cannot run it as asked. */
export function readSubscription(resource: StoredResource, topics: readonly SubscriptionTopicOptions[]): Omit<ActiveSubscription, "id"> | { readonly error: string } {
  const criteria = resource.criteria;
  const topic = topics.find((t) => t.url === criteria);
  if (!topic) return { error: "criteria names no topic this server offers" };
  const filters: Array<Array<[string, string]>> = [];
  for (const ext of extensionsOf(resource._criteria)) {
    if (ext.url !== FILTER_CRITERIA) continue;
    if (typeof ext.valueString !== "string") return { error: "a filter criteria extension has no valueString" };
    const [type, query = ""] = ext.valueString.split("?", 2);
    if (type !== topic.resourceType) return { error: `a filter must search ${topic.resourceType}` };
    filters.push([...new URLSearchParams(query)]);
  }
  const channel = (resource.channel ?? {}) as { type?: unknown; endpoint?: unknown; header?: unknown; payload?: unknown; _payload?: unknown };
  if (channel.type !== "rest-hook") return { error: "only rest-hook channels are served" };
  if (typeof channel.endpoint !== "string" || !/^https?:\/\//.test(channel.endpoint)) return { error: "channel.endpoint must be an http(s) URL" };
  if (channel.payload !== undefined && channel.payload !== "application/fhir+json") return { error: "channel.payload must be application/fhir+json" };
  const headers: Record<string, string> = {};
  for (const line of Array.isArray(channel.header) ? (channel.header as unknown[]) : []) {
    const [name, ...value] = typeof line === "string" ? line.split(":") : [];
    if (!name || value.length === 0) return { error: "a channel.header is not `Name: value`" };
    headers[name.trim().toLowerCase()] = value.join(":").trim();
  }
  const channelExtensions = extensionsOf(resource.channel);
  const content = extensionsOf(channel._payload).find((e) => e.url === PAYLOAD_CONTENT)?.valueCode ?? "id-only";
  if (content !== "empty" && content !== "id-only" && content !== "full-resource") return { error: "payload content must be empty, id-only or full-resource" };
  const heartbeat = channelExtensions.find((e) => e.url === HEARTBEAT_PERIOD)?.valueUnsignedInt;
  if (heartbeat !== undefined && (typeof heartbeat !== "number" || !Number.isInteger(heartbeat) || heartbeat < 1)) return { error: "the heartbeat period must be a whole number of seconds" };
  return { topic, filters, endpoint: channel.endpoint, headers, content, heartbeatMs: heartbeat === undefined ? undefined : heartbeat * 1000 };
}
