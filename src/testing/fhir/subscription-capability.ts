/**
 * The simulator's CapabilityStatement once it serves subscriptions: Subscription with its
 * interactions, search parameters and operations, and the topics it offers.
 */
import { TOPIC_CANONICAL, type SubscriptionSimulatorOptions } from "./subscription-topics.js";

/** What the simulator serves of one resource type. */
export interface Declared {
  readonly interactions: ReadonlySet<string>;
  readonly params: ReadonlySet<string>;
}

/** The CapabilityStatement with Subscription served and its topics advertised (the declared table learns Subscription too). */
export function withSubscriptions(document: unknown, subscriptions: SubscriptionSimulatorOptions, declared: Map<string, Declared>): unknown {
  declared.set("Subscription", { interactions: new Set(["read", "search-type", "create", "update", "delete"]), params: new Set(["criteria", "status", "url"]) });
  const doc = structuredClone(document) as { rest?: Array<{ resource?: unknown[] }> };
  const rest = doc.rest?.[0];
  if (!rest) return doc;
  const resource = {
    type: "Subscription",
    extension: subscriptions.topics.map((t) => ({ url: TOPIC_CANONICAL, valueCanonical: t.url })),
    interaction: ["read", "search-type", "create", "update", "delete"].map((code) => ({ code })),
    searchParam: ["criteria", "status", "url"].map((name) => ({ name, type: name === "status" ? "token" : "uri" })),
    operation: [{ name: "status" }, ...(subscriptions.eventsOperation === false ? [] : [{ name: "events" }])].map((o) => ({ ...o, definition: `http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-${o.name}` })),
  };
  rest.resource = [...(rest.resource ?? []).filter((r) => (r as { type?: unknown }).type !== "Subscription"), resource];
  return doc;
}
