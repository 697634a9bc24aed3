/**
 * The Bundles a topic-based subscription sends and answers with: a SubscriptionStatus
 * (a Parameters in R4) first, then each event's focus as the payload content asks.
 */
import type { StoredResource } from "./fhir-store.js";
import type { NotificationType } from "../../fhir/subscriptions/notification.js";
import type { PayloadContent } from "../../fhir/subscriptions/subscription-resource.js";
import type { ActiveSubscription, TopicInteraction } from "./subscription-topics.js";

export type { NotificationType };
export type SubscriptionState = "requested" | "active" | "error" | "off";

/** One event in a subscription's log. */
export interface LoggedEvent {
  readonly eventNumber: number;
  readonly timestamp: string;
  readonly interaction: TopicInteraction;
  /** The version the event is about (for a delete, the last one). */
  readonly resource: StoredResource;
}

export interface StatusInput {
  readonly base: string;
  readonly subscription: ActiveSubscription;
  readonly state: SubscriptionState;
  readonly type: NotificationType;
  /** Events raised since the subscription started. */
  readonly count: number;
  readonly events: readonly LoggedEvent[];
}

function statusParameters(input: StatusInput) {
  const reference = (r: StoredResource) => ({ reference: `${r.resourceType}/${r.id}` });
  return {
    resourceType: "Parameters",
    parameter: [
      { name: "subscription", valueReference: { reference: `${input.base}/Subscription/${input.subscription.id}` } },
      { name: "topic", valueCanonical: input.subscription.topic.url },
      { name: "status", valueCode: input.state },
      { name: "type", valueCode: input.type },
      { name: "events-since-subscription-start", valueString: String(input.count) },
      ...input.events.map((e) => ({
        name: "notification-event",
        part: [
          { name: "event-number", valueString: String(e.eventNumber) },
          { name: "timestamp", valueInstant: e.timestamp },
          ...(input.subscription.content === "empty" ? [] : [{ name: "focus", valueReference: reference(e.resource) }]),
        ],
      })),
    ],
  };
}

const METHOD: Record<TopicInteraction, string> = { create: "POST", update: "PUT", delete: "DELETE" };

function focusEntry(base: string, event: LoggedEvent, content: PayloadContent) {
  const { resourceType, id } = event.resource;
  const entry = {
    fullUrl: `${base}/${resourceType}/${id}`,
    request: { method: METHOD[event.interaction], url: `${resourceType}/${id}` },
    response: { status: event.interaction === "create" ? "201" : "200" },
  };
  return content === "full-resource" && event.interaction !== "delete" ? { ...entry, resource: event.resource } : entry;
}

/** A notification (or a `$events` answer): type history, the status first. */
export function notificationBundle(input: StatusInput, at: string) {
  const content = input.subscription.content;
  // One entry per event, in event order: two events about one resource each carry their own version.
  const focus = content === "empty" ? [] : input.events;
  return {
    resourceType: "Bundle",
    type: "history",
    timestamp: at,
    entry: [
      { fullUrl: `urn:uuid:status-${input.subscription.id}-${input.count}`, resource: statusParameters(input), request: { method: "GET", url: `Subscription/${input.subscription.id}/$status` }, response: { status: "200" } },
      ...focus.map((e) => focusEntry(input.base, e, content)),
    ],
  };
}

/** `$status`: a searchset holding the status alone. */
export function statusBundle(input: StatusInput) {
  return { resourceType: "Bundle", type: "searchset", total: 1, entry: [{ fullUrl: `urn:uuid:status-${input.subscription.id}`, resource: statusParameters(input), search: { mode: "match" } }] };
}
