/**
 * Reading a subscription notification (or a `$status` / `$events` answer): the
 * SubscriptionStatus Parameters first, one typed event per `notification-event`, and each
 * event's focus resource when the payload carries it. Everything here reads untrusted JSON
 * and throws MalformedNotificationError, never anything else, for what it cannot read.
 */
import type { BundleEntry, Parameters, ParametersParameter, Resource } from "fhir/r4.js";
import { MalformedNotificationError } from "./errors.js";

export type NotificationType = "handshake" | "heartbeat" | "event-notification" | "query-status" | "query-event";
export type SubscriptionStatusCode = "requested" | "active" | "error" | "off" | "entered-in-error";

/** One change the server told about. */
export interface SubscriptionEvent<R extends Resource = Resource> {
  /** The event's number in the subscription (1, 2, …); for a change recovered by a search, the last number it stands for. */
  readonly eventNumber: number;
  /** When the server raised the event (a FHIR instant); empty when the server did not say. */
  readonly timestamp: string;
  /** A relative reference, `Encounter/123` (absent for `empty` payloads). */
  readonly focus: string | undefined;
  /** The resource, when the payload carried it or it was read (id-only) or searched (catch-up). */
  readonly resource?: R;
  /** How it reached the app: a notification, a `$events` query, or a `_lastUpdated` search. */
  readonly via: "notification" | "events" | "search";
}

export interface Notification {
  /** The Subscription's id (the last segment of its reference). */
  readonly subscriptionId: string;
  readonly topic: string | undefined;
  readonly status: SubscriptionStatusCode;
  readonly type: NotificationType;
  /** Events the server raised since the subscription started. */
  readonly eventsSinceStart: number;
  readonly events: ReadonlyArray<SubscriptionEvent>;
  /** When the server made the notification (the Bundle's timestamp), when it says. */
  readonly sentAt: string | undefined;
}

const TYPES: readonly string[] = ["handshake", "heartbeat", "event-notification", "query-status", "query-event"];
const STATUSES: readonly string[] = ["requested", "active", "error", "off", "entered-in-error"];

function malformed(why: string): MalformedNotificationError {
  return new MalformedNotificationError(`not a subscription notification: ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An event number or count: an int64 as text, which must be a safe integer here. */
function counter(text: unknown, what: string): number {
  if (typeof text !== "string" || !/^\d{1,16}$/.test(text)) throw malformed(`${what} is not a whole number`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw malformed(`${what} is too large`);
  return n;
}

/** A FHIR instant (`2026-11-30T08:00:00.123Z`, `…+01:00`) as epoch ms; undefined for anything else. */
export function instantMs(text: unknown): number | undefined {
  if (typeof text !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** An instant the body may leave out; a present one must be readable. */
function optionalInstant(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (instantMs(value) === undefined) throw malformed(`${what} is not an instant`);
  return value as string;
}

/** `http://x/fhir/Encounter/1/_history/2` or `Encounter/1` → `Encounter/1`. */
export function relativeReference(reference: string): string | undefined {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

function param(parameters: readonly ParametersParameter[], name: string): ParametersParameter | undefined {
  return parameters.find((p) => isObject(p) && p.name === name);
}

/** The status Parameters: a history Bundle's first entry, or a searchset's first Parameters. */
function statusOf(bundle: Record<string, unknown>): { parameters: ParametersParameter[]; rest: BundleEntry[] } {
  if (bundle.resourceType !== "Bundle") throw malformed("the body is not a Bundle");
  if (bundle.type !== "history" && bundle.type !== "searchset") throw malformed("the Bundle is not of type history");
  const entries = Array.isArray(bundle.entry) ? (bundle.entry as unknown[]).filter(isObject) : [];
  const first = entries[0]?.resource;
  if (!isObject(first) || first.resourceType !== "Parameters") throw malformed("the first entry is not a SubscriptionStatus");
  const parameters = (first as unknown as Parameters).parameter;
  if (!Array.isArray(parameters)) throw malformed("the SubscriptionStatus has no parameters");
  return { parameters, rest: entries.slice(1) as BundleEntry[] };
}

function readEvent(part: unknown, resources: Map<string, Resource[]>, via: SubscriptionEvent["via"]): SubscriptionEvent {
  const parts = isObject(part) && Array.isArray(part.part) ? (part.part as ParametersParameter[]) : [];
  const eventNumber = counter(param(parts, "event-number")?.valueString, "an event number");
  const timestamp = optionalInstant(param(parts, "timestamp")?.valueInstant, "an event's timestamp") ?? "";
  const reference = param(parts, "focus")?.valueReference?.reference;
  const focus = typeof reference === "string" ? relativeReference(reference) : undefined;
  if (typeof reference === "string" && focus === undefined) throw malformed("an event's focus is not a resource reference");
  // Two events about one resource each take the next entry for it, in order.
  const resource = focus === undefined ? undefined : resources.get(focus)?.shift();
  return { eventNumber, timestamp, focus, via, ...(resource ? { resource } : {}) };
}

/** Reads a parsed body as a notification; MalformedNotificationError for anything else. */
export function readNotification(body: unknown, via: SubscriptionEvent["via"] = "notification"): Notification {
  if (!isObject(body)) throw malformed("the body is not a JSON object");
  const { parameters, rest } = statusOf(body);
  const reference = param(parameters, "subscription")?.valueReference?.reference;
  const subscriptionId = typeof reference === "string" ? /(?:^|\/)Subscription\/([^/]+)$/.exec(reference)?.[1] : undefined;
  if (subscriptionId === undefined) throw malformed("the status names no Subscription");
  const type = param(parameters, "type")?.valueCode;
  if (typeof type !== "string" || !TYPES.includes(type)) throw malformed("the notification type is not known");
  const status = param(parameters, "status")?.valueCode;
  if (typeof status !== "string" || !STATUSES.includes(status)) throw malformed("the subscription status is not known");
  const since = param(parameters, "events-since-subscription-start");
  const eventsSinceStart = since === undefined ? 0 : counter(since.valueString, "events-since-subscription-start");
  const resources = new Map<string, Resource[]>();
  for (const entry of rest) {
    const ref = typeof entry.fullUrl === "string" ? relativeReference(entry.fullUrl) : undefined;
    if (ref === undefined || !isObject(entry.resource)) continue;
    resources.set(ref, [...(resources.get(ref) ?? []), entry.resource as Resource]);
  }
  const events = parameters.filter((p) => isObject(p) && p.name === "notification-event").map((p) => readEvent(p, resources, via));
  const topic = param(parameters, "topic")?.valueCanonical;
  const sentAt = optionalInstant(body.timestamp, "the Bundle's timestamp");
  return { subscriptionId, topic: typeof topic === "string" ? topic : undefined, status: status as SubscriptionStatusCode, type: type as NotificationType, eventsSinceStart, events, sentAt };
}

/** Parses and reads a notification body, all inside the typed boundary. */
export function parseNotification(text: string): Notification {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw malformed("the body is not JSON");
  }
  return readNotification(body);
}
