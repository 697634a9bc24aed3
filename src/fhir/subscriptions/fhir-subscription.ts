/**
 * `fhirSubscription`: a topic-based FHIR Subscription with no gaps. It finds its own
 * Subscription on the server (or creates it), takes notifications in at its endpoint
 * (`receive`, or `listener` for node:http), and hands each event to `onEvent` once and in
 * event-number order: duplicates are dropped, events after a gap wait, and the gap is filled
 * from `$events` (or a `_lastUpdated` search) through carewire's FHIR client. A heartbeat
 * watchdog notices a silent subscription and asks `$status`. The last event handled is
 * checkpointed, so a restart neither repeats nor misses.
 */
import type { Resource } from "fhir/r4.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { systemClock, type Clock } from "../../runtime/core/clock.js";
import type { FhirClientOptions } from "../client.js";
import { memorySubscriptionCheckpoint, type SubscriptionCheckpointStore } from "./checkpoint-store.js";
import { ForeignNotificationError, NotificationTooLargeError } from "./errors.js";
import { HeartbeatWatchdog } from "./heartbeat-watchdog.js";
import { parseNotification, type Notification, type SubscriptionEvent } from "./notification.js";
import { checkChannelHeader, DEFAULT_MAX_NOTIFICATION_BYTES, notificationListener, type NotificationHeaders } from "./receiver.js";
import { fhirSubscriptionServer, type SubscriptionServer } from "./subscription-server.js";
import { SubscriptionRun } from "./subscription-run.js";
import type { SubscriptionAlarm, SubscriptionNote } from "./subscription-notes.js";
import type { PayloadContent } from "./subscription-resource.js";

export interface FhirSubscriptionOptions<R extends Resource = Resource> {
  /** The FHIR client options (base URL, auth, stores…) every call of the subscription runs with. */
  readonly client: FhirClientOptions;
  /** The server's calls, when they should not go through a FHIR client made from `client` (tests, other transports). */
  readonly server?: SubscriptionServer;
  /** The SubscriptionTopic's canonical URL. */
  readonly topic: string;
  /** The topic's resource type (what a catch-up search and an id-only read ask for). */
  readonly resourceType: R["resourceType"];
  /** Searches on that type, `Encounter?patient=Patient/123`; an event must match all of them. */
  readonly filters?: readonly string[];
  /** Where the server POSTs notifications (this app's URL for `listener`). */
  readonly endpoint: string;
  /** `Name: value` the server sends back with every notification; a notification without it is refused. */
  readonly header?: string;
  /** How often the server sends a heartbeat while idle. Default 60. */
  readonly heartbeatSeconds?: number;
  /** Extra wait past a heartbeat period before the watchdog alarms. Default a fifth of the period. */
  readonly heartbeatMarginMs?: number;
  /** What a notification carries. Default `id-only` (the focus is then read through the client). */
  readonly payload?: PayloadContent;
  /** Where the last handled event is kept. Default in memory (a restart replays what the server still logs). */
  readonly checkpoint?: SubscriptionCheckpointStore;
  /** Called once per event, in order; the next waits for it. A throw keeps the event next in line. */
  readonly onEvent: (event: SubscriptionEvent<R>) => void | Promise<void>;
  readonly onAlarm?: (alarm: SubscriptionAlarm) => void;
  readonly observe?: (note: SubscriptionNote) => void;
  /** Make an `error` or `off` Subscription `requested` again (a new handshake). Default true. */
  readonly reactivate?: boolean;
  readonly maxBodyBytes?: number;
  /** Longest `close()` waits for work under way (real time). Default 10 s. */
  readonly closeTimeoutMs?: number;
  readonly clock?: Clock;
}

export interface FhirSubscription<R extends Resource = Resource> {
  /** Finds or creates the Subscription, loads the checkpoint, catches up, starts the watchdog. */
  start(): Promise<{ readonly id: string; readonly reused: boolean }>;
  /** Takes a notification in; a NotificationRejectedError (with the status to answer) when it is refused. Handling goes on after it returns. */
  receive(body: string | Uint8Array, headers: NotificationHeaders): Promise<Notification>;
  /** A node:http listener for the endpoint: 200 when taken in, else the rejection's status. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** The Subscription's id once started. */
  readonly id: string | undefined;
  /** The last event number handled. */
  readonly lastHandled: number;
  /** Resolves when nothing is left to hand over or catch up right now. */
  idle(): Promise<void>;
  /** Stops the watchdog and waits (bounded) for work under way. */
  close(): Promise<void>;
}

const MAX_EARLY_NOTIFICATIONS = 1_000;

export function fhirSubscription<R extends Resource = Resource>(options: FhirSubscriptionOptions<R>): FhirSubscription<R> {
  const clock = options.clock ?? systemClock;
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_NOTIFICATION_BYTES;
  const heartbeatSeconds = options.heartbeatSeconds ?? 60;
  const checkpoint = options.checkpoint ?? memorySubscriptionCheckpoint();
  const server = options.server ?? fhirSubscriptionServer(options.client, options.resourceType);
  let run: SubscriptionRun<R> | undefined;
  /** Notifications that came before the Subscription's id was known (the handshake and what follows it). */
  const early: Notification[] = [];
  const watchdog = new HeartbeatWatchdog(clock, heartbeatSeconds * 1000, options.heartbeatMarginMs ?? (heartbeatSeconds * 1000) / 5, (silentMs) => run?.silent(silentMs));

  async function receive(body: string | Uint8Array, headers: NotificationHeaders): Promise<Notification> {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    if (bytes.byteLength > maxBytes) throw new NotificationTooLargeError(maxBytes);
    checkChannelHeader(headers, options.header);
    const notification = parseNotification(typeof body === "string" ? body : new TextDecoder().decode(body));
    if (run === undefined) {
      if (early.length < MAX_EARLY_NOTIFICATIONS) early.push(notification);
      return notification;
    }
    if (notification.subscriptionId !== run.id) throw new ForeignNotificationError("the notification is for another subscription");
    watchdog.heard();
    run.take(notification);
    return notification;
  }

  const handle: FhirSubscription<R> = {
    async start() {
      const found = await SubscriptionRun.open<R>({
        options: { ...options, heartbeatSeconds, reactivate: options.reactivate ?? true, payload: options.payload ?? "id-only", filters: options.filters ?? [] },
        server,
        checkpoint,
        clock,
      });
      run = found.run;
      watchdog.heard();
      for (const notification of early.splice(0)) if (notification.subscriptionId === run.id) run.take(notification);
      await run.refreshStatus();
      watchdog.start();
      return { id: run.id, reused: found.reused };
    },
    receive,
    listener: notificationListener({ receive }, maxBytes),
    get id() {
      return run?.id;
    },
    get lastHandled() {
      return run?.lastHandled ?? 0;
    },
    idle: () => run?.idle() ?? Promise.resolve(),
    async close() {
      await watchdog.close();
      await run?.close(options.closeTimeoutMs ?? 10_000);
    },
  };
  return handle;
}
