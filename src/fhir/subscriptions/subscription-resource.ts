/**
 * The Subscription resource this helper asks for (topic-based, rest-hook, through the R4
 * backport extensions), and the test that an existing one on the server is that same
 * request, so a restarted app reuses its Subscription instead of making another.
 */
import type { Extension, Subscription } from "fhir/r4.js";

/** The R4 backport's extension URLs (the simulator reads Subscriptions with the same ones). */
export const BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition";
export const FILTER_CRITERIA = `${BACKPORT}/backport-filter-criteria`;
export const PAYLOAD_CONTENT = `${BACKPORT}/backport-payload-content`;
export const HEARTBEAT_PERIOD = `${BACKPORT}/backport-heartbeat-period`;

export type PayloadContent = "empty" | "id-only" | "full-resource";

export interface SubscriptionRequest {
  readonly topic: string;
  /** Searches on the topic's resource type, `Encounter?patient=Patient/123`; all must match. */
  readonly filters: readonly string[];
  readonly endpoint: string;
  /** `Name: value`, which the server sends back with every notification. */
  readonly header: string | undefined;
  readonly heartbeatSeconds: number;
  readonly payload: PayloadContent;
}

export function subscriptionResource(request: SubscriptionRequest): Subscription {
  return {
    resourceType: "Subscription",
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

function extensionValue(extensions: readonly Extension[] | undefined, url: string): unknown[] {
  return (extensions ?? []).filter((e) => e.url === url).map((e) => e.valueString ?? e.valueCode ?? e.valueUnsignedInt);
}

/** Whether `found` asks for what `request` asks: topic, filters, endpoint, header, heartbeat and payload. */
export function sameSubscription(found: Subscription, request: SubscriptionRequest): boolean {
  const channel = found.channel;
  if (found.criteria !== request.topic || channel?.type !== "rest-hook" || channel.endpoint !== request.endpoint) return false;
  const filters = extensionValue((found as { _criteria?: { extension?: Extension[] } })._criteria?.extension, FILTER_CRITERIA);
  if (filters.length !== request.filters.length || !request.filters.every((f) => filters.includes(f))) return false;
  const headers = channel.header ?? [];
  if (request.header === undefined ? headers.length > 0 : headers.length !== 1 || headers[0] !== request.header) return false;
  const payload = extensionValue((channel as { _payload?: { extension?: Extension[] } })._payload?.extension, PAYLOAD_CONTENT)[0] ?? "id-only";
  const heartbeat = extensionValue(channel.extension, HEARTBEAT_PERIOD)[0];
  return payload === request.payload && heartbeat === request.heartbeatSeconds;
}
