/**
 * The Subscription resource this helper asks for (topic-based, rest-hook, through the R4
 * backport extensions), tagged with a key derived from the request, and the test that an
 * existing one on the server is that same request, so a restarted app reuses its
 * Subscription instead of making another. The channel header is never compared: servers
 * may mask it when the Subscription is read back.
 */
import type { Extension, Subscription } from "fhir/r4.js";

/** The R4 backport's extension URLs (the simulator reads Subscriptions with the same ones). */
export const BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition";
export const FILTER_CRITERIA = `${BACKPORT}/backport-filter-criteria`;
export const PAYLOAD_CONTENT = `${BACKPORT}/backport-payload-content`;
export const HEARTBEAT_PERIOD = `${BACKPORT}/backport-heartbeat-period`;

/** The tag system of the key that marks a Subscription as made by carewire for one request. */
export const SUBSCRIPTION_KEY_SYSTEM = "https://carewire.dev/fhir/subscription-key";

export type PayloadContent = "empty" | "id-only" | "full-resource";

export interface SubscriptionRequest {
  readonly topic: string;
  /** Searches on the topic's resource type, `Encounter?patient=Patient/123`; all must match. */
  readonly filters: readonly string[];
  readonly endpoint: string;
  /** `Name: value`, which the server sends back with every notification. */
  readonly header?: string | undefined;
  readonly heartbeatSeconds: number;
  readonly payload: PayloadContent;
}

/** The Subscription for `request`; `key` (see `subscriptionKey`) tags it so a restart finds it again. */
export function subscriptionResource(request: SubscriptionRequest, key?: string): Subscription {
  return {
    resourceType: "Subscription",
    ...(key !== undefined ? { meta: { tag: [{ system: SUBSCRIPTION_KEY_SYSTEM, code: key }] } } : {}),
    status: "requested",
    reason: "carewire subscription",
    criteria: request.topic,
    ...(request.filters.length > 0 ? { _criteria: { extension: request.filters.map((f) => ({ url: FILTER_CRITERIA, valueString: f })) } } : {}),
    channel: {
      type: "rest-hook",
      endpoint: request.endpoint,
      payload: "application/fhir+json",
      _payload: { extension: [{ url: PAYLOAD_CONTENT, valueCode: request.payload }] },
      ...(request.header !== undefined ? { header: [request.header] } : {}),
      extension: [{ url: HEARTBEAT_PERIOD, valueUnsignedInt: request.heartbeatSeconds }],
    },
  } as Subscription;
}

/**
 * A stable key for what the request asks (topic, filters in any order, endpoint, payload,
 * heartbeat), never the secret header: a SHA-256 digest through Web Crypto, so it is the
 * same in every instance and in any runtime.
 */
export async function subscriptionKey(request: SubscriptionRequest): Promise<string> {
  const text = JSON.stringify([request.topic, [...request.filters].sort(), request.endpoint, request.payload, request.heartbeatSeconds]);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether `found` is the Subscription made for the request `key` stands for: same topic and endpoint, and carewire's tag with that key. */
export function sameSubscription(found: Subscription, request: SubscriptionRequest, key: string): boolean {
  if (found.criteria !== request.topic || found.channel?.type !== "rest-hook" || found.channel.endpoint !== request.endpoint) return false;
  return (found.meta?.tag ?? []).some((t) => t.system === SUBSCRIPTION_KEY_SYSTEM && t.code === key);
}
