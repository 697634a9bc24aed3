/**
 * What the subscription helper asks of the FHIR server, every call through carewire's
 * pipeline (retry, pacing, breaker, deadline, size bounds): the Subscription's search,
 * create and update and the topic type's reads and searches through the FHIR client, and
 * the two Subscription operations (`$status`, `$events`) as operations of a pipeline made
 * from the same options. A failed call throws its typed error (a CarewireError).
 */
import type { Resource, Subscription } from "fhir/r4.js";
import { MalformedResponseError } from "../../runtime/core/errors.js";
import { createPipeline } from "../../runtime/core/pipeline.js";
import type { OperationDescriptor } from "../../runtime/core/operation.js";
import type { CallOptions } from "../../runtime/core/types.js";
import { createFhirClient, type FhirClientOptions, type FhirResult, type ResourceClient } from "../client.js";
import type { TypeInteraction } from "../interactions.js";
import { fhirProfile } from "../profile.js";
import { readNotification, type Notification } from "./notification.js";
import { MalformedNotificationError, SubscriptionGoneError } from "./errors.js";

export interface SubscriptionServer {
  /** Subscriptions on `topic` that deliver to `endpoint`. */
  find(topic: string, endpoint: string): Promise<Subscription[]>;
  create(subscription: Subscription): Promise<Subscription>;
  update(subscription: Subscription & { readonly id: string }): Promise<Subscription>;
  status(id: string): Promise<Notification>;
  /** The events in [since, until]; `unsupported` when the server has no `$events` (405, 501); SubscriptionGoneError on a 404. */
  events(id: string, since: number, until: number, content: string): Promise<Notification | "unsupported">;
  /** The topic type's resources changed at or after `since`, oldest first (every page). */
  changedSince(filters: readonly string[], since: string | undefined): AsyncIterable<Resource>;
  /** The current version of `Type/id`; undefined once it is gone. */
  read(reference: string): Promise<Resource | undefined>;
}

function operation(name: "$status" | "$events"): OperationDescriptor {
  return {
    operationId: `Subscription.${name}`,
    synthesizedId: false,
    name: `Subscription.${name}`,
    method: "get",
    path: `/Subscription/{id}/${name}`,
    safety: "safe",
    tags: ["Subscription"],
    deprecated: false,
    parameters: { path: [{ name: "id", required: true }], query: [], header: [], cookie: [] },
    responses: {},
    security: "required",
    hints: { criticality: "interactive" },
  };
}

const STATUS = operation("$status");
const EVENTS = operation("$events");
const METADATA: OperationDescriptor = { ...STATUS, operationId: "capabilities", name: "capabilities", path: "/metadata", tags: [], parameters: { path: [], query: [], header: [], cookie: [] } };

/** Whether a CapabilityStatement declares Subscription operations and `$events` is not among them. */
function declaresNoEvents(capability: unknown): boolean {
  const rest = (capability as { rest?: Array<{ resource?: Array<{ type?: unknown; operation?: Array<{ name?: unknown }> }> }> } | null)?.rest;
  const subscription = Array.isArray(rest) ? rest.flatMap((r) => (Array.isArray(r.resource) ? r.resource : [])).find((r) => r.type === "Subscription") : undefined;
  const operations = Array.isArray(subscription?.operation) ? subscription.operation : undefined;
  return operations !== undefined && !operations.some((o) => o.name === "events");
}

const gone = () => new SubscriptionGoneError("the server no longer knows the Subscription");

function unwrap<T>(result: FhirResult<T>): T {
  if (result.error) throw result.error;
  return result.data;
}

/** A status or events answer read as a notification; MalformedResponseError when it is none. */
function asNotification(body: unknown, status: number, via: "events" | "notification"): Notification {
  try {
    return readNotification(body, via);
  } catch (error) {
    if (error instanceof MalformedNotificationError) throw new MalformedResponseError(`the server's ${via === "events" ? "$events" : "$status"} answer is not a SubscriptionStatus`, status, "", { cause: error });
    throw error;
  }
}

/** The server over carewire's FHIR client, for subscriptions on `resourceType`. */
export function fhirSubscriptionServer(options: FhirClientOptions, resourceType: string, callOptions: CallOptions = {}): SubscriptionServer {
  const provider = options.provider ?? "fhir";
  // The Subscription's own interactions, and what a catch-up asks of the topic's type.
  const resources: Record<string, readonly TypeInteraction[]> = { [resourceType]: ["read", "search-type"], Subscription: ["search-type", "create", "update"] };
  const client = createFhirClient({ ...options, provider }, { resources, system: [] });
  const subscriptions = client.resources.Subscription as Required<Pick<ResourceClient<Subscription, Record<string, string>>, "search" | "create" | "update">>;
  const watched = client.resources[resourceType] as Required<Pick<ResourceClient<Resource, Record<string, string>>, "read" | "searchAll">>;
  // The client has no call for a named operation: `$status` and `$events` run on a pipeline made from the same options.
  const pipeline = createPipeline({ ...options, provider, headers: { accept: "application/fhir+json", ...options.headers }, profile: fhirProfile({ expected: () => undefined }) });
  const operationCall = (op: OperationDescriptor, id: string, query = "") => pipeline.request<unknown, Error>(op, { responses: {} }, { params: { path: { id } }, rawQuery: query }, callOptions);
  // Some servers answer an operation they lack with a 400: their CapabilityStatement, read once, says which.
  let eventsUndeclared: Promise<boolean> | undefined;
  const lacksEvents = () =>
    (eventsUndeclared ??= pipeline.request<unknown, Error>(METADATA, { responses: {} }, {}, callOptions).then((r) => {
      // Not read: asked again next time rather than taken as an answer.
      if (r.error) eventsUndeclared = undefined;
      return !r.error && declaresNoEvents(r.data);
    }));

  return {
    async find(topic, endpoint) {
      const bundle = unwrap(await subscriptions.search({ criteria: topic, url: endpoint }, callOptions));
      return (bundle.entry ?? []).map((e) => e.resource).filter((r): r is Subscription => r?.resourceType === "Subscription");
    },
    create: async (subscription) => unwrap(await subscriptions.create(subscription, callOptions)),
    update: async (subscription) => unwrap(await subscriptions.update(subscription, { ...callOptions, ifMatch: false })),
    async status(id) {
      const result = await operationCall(STATUS, id);
      if (result.response?.status === 404) throw gone();
      if (result.error) throw result.error;
      return asNotification(result.data, result.response.status, "notification");
    },
    async events(id, since, until, content) {
      const result = await operationCall(EVENTS, id, new URLSearchParams({ eventsSinceNumber: String(since), eventsUntilNumber: String(until), content }).toString());
      // Only "not allowed" and "not implemented" (or a 400 where the CapabilityStatement lists no `$events`) say the server
      // has none; a 404 says the Subscription is gone,
      // and any other failure is thrown, so the catch-up is tried again later with `$events`.
      const status = result.response?.status;
      if (result.error && (status === 405 || status === 501)) return "unsupported";
      if (status === 404) throw gone();
      if (status === 400 && (await lacksEvents())) return "unsupported";
      if (result.error) throw result.error;
      return asNotification(result.data, result.response.status, "events");
    },
    async *changedSince(filters, since) {
      const params = new URLSearchParams(filters.flatMap((f) => [...new URLSearchParams(f.split("?", 2)[1] ?? "")]));
      // `ge`, not `gt`: a change in the same millisecond as the last one seen is not lost; versions already handled are dropped.
      if (since !== undefined) params.set("_lastUpdated", `ge${since}`);
      params.set("_sort", "_lastUpdated");
      params.set("_count", "100");
      yield* watched.searchAll(Object.fromEntries(params), callOptions);
    },
    async read(reference) {
      const [type, id] = reference.split("/");
      // Never read another type's id as this one's.
      if (type !== resourceType) throw new MalformedNotificationError("an event's focus is not of the subscription's resource type");
      const result = await watched.read(id ?? "", callOptions);
      if (result.error && result.response?.status === 404) return undefined;
      if (result.error && result.response?.status === 410) return undefined;
      return unwrap(result);
    },
  };
}
