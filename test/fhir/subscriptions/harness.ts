/**
 * A FHIR simulator serving a subscription topic on a fake clock, a receiver endpoint on
 * real HTTP (127.0.0.1, a fresh port) whose app can be swapped (a restart), and the
 * bookkeeping the tests assert on: every event handed over, every note and alarm.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Encounter } from "fhir/r4.js";
import { afterEach } from "@jest/globals";
import { fhirSubscription, type FhirSubscription, type FhirSubscriptionOptions, type SubscriptionAlarm, type SubscriptionEvent, type SubscriptionNote } from "carewire/fhir";
import { FakeClock, startFhirSimulator, type FhirSimulator, type FhirSimulatorOptions, type SubscriptionSimulatorOptions } from "carewire/testing";
import { FHIR_CAPABILITY } from "../../helpers/simulator.js";

export const TOPIC = "http://example.org/fhir/SubscriptionTopic/encounter-changes";
export const SECRET_HEADER = "Authorization: Bearer hook-secret";
export const HEARTBEAT_SECONDS = 10;

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

export interface Receiver {
  readonly url: string;
  /** The app now answering at the endpoint (undefined: it is down, the endpoint answers 503). */
  use(subscription: FhirSubscription<Encounter> | undefined): void;
}

async function startReceiver(): Promise<Receiver> {
  let current: FhirSubscription<Encounter> | undefined;
  const server = http.createServer((req, res) => (current ? current.listener(req, res) : void res.writeHead(503).end()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  open.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, use: (s) => void (current = s) };
}

export interface World {
  readonly clock: FakeClock;
  readonly sim: FhirSimulator;
  readonly receiver: Receiver;
  readonly handled: Array<SubscriptionEvent<Encounter>>;
  readonly notes: SubscriptionNote[];
  readonly alarms: SubscriptionAlarm[];
  /** A subscriber app answering at the shared endpoint from now on (not yet started). */
  subscriber(extra?: Partial<FhirSubscriptionOptions<Encounter>>): FhirSubscription<Encounter>;
  /** Lets every notification on the wire arrive and every hand-over and catch-up finish. */
  settle(subscription: FhirSubscription<Encounter>): Promise<void>;
  /** Moves fake time on in steps, letting the wire settle after each. */
  advance(subscription: FhirSubscription<Encounter>, ms: number, stepMs?: number): Promise<void>;
}

/** `simulator`: the simulator's other options (faults, quotas). */
export async function world(subscriptions: Omit<SubscriptionSimulatorOptions, "topics">, simulator: Omit<FhirSimulatorOptions, "capability" | "clock" | "subscriptions"> = {}): Promise<World> {
  const clock = new FakeClock({ start: Date.parse("2026-11-30T08:00:00.000Z") });
  const sim = await startFhirSimulator({ ...simulator, capability: FHIR_CAPABILITY, clock, subscriptions: { topics: [{ url: TOPIC, resourceType: "Encounter" }], ...subscriptions } });
  open.push(() => sim.close());
  const receiver = await startReceiver();
  const handled: Array<SubscriptionEvent<Encounter>> = [];
  const notes: SubscriptionNote[] = [];
  const alarms: SubscriptionAlarm[] = [];
  const settle = async (subscription: FhirSubscription<Encounter>) => {
    // Two quiet rounds in a row: a catch-up may have asked the server, which may have sent more.
    for (let quiet = 0, round = 0; quiet < 2 && round < 100; round++) {
      const before = `${sim.subscriptions!.counters.sent}/${handled.length}/${notes.length}`;
      await sim.subscriptions!.settled();
      await subscription.idle();
      await new Promise((resolve) => setImmediate(resolve));
      quiet = before === `${sim.subscriptions!.counters.sent}/${handled.length}/${notes.length}` ? quiet + 1 : 0;
    }
  };
  return {
    clock,
    sim,
    receiver,
    handled,
    notes,
    alarms,
    subscriber(extra = {}) {
      const subscription = fhirSubscription<Encounter>({
        client: { baseUrl: sim.url, clock },
        topic: TOPIC,
        resourceType: "Encounter",
        endpoint: receiver.url,
        header: SECRET_HEADER,
        heartbeatSeconds: HEARTBEAT_SECONDS,
        payload: "full-resource",
        clock,
        onEvent: (event) => void handled.push(event),
        observe: (note) => void notes.push(note),
        onAlarm: (alarm) => void alarms.push(alarm),
        ...extra,
      });
      open.push(() => subscription.close());
      receiver.use(subscription);
      return subscription;
    },
    settle,
    async advance(subscription, ms, stepMs = 500) {
      for (let moved = 0; moved < ms; moved += stepMs) {
        await clock.advance(Math.min(stepMs, ms - moved));
        await settle(subscription);
      }
    },
  };
}

/** Writes `count` changes over `resources` Encounters (creates first, then updates), a few at a time with time moving on. */
export async function churn(w: World, subscription: FhirSubscription<Encounter>, count: number, resources: number, offset = 0): Promise<void> {
  for (let i = 0; i < count; i++) {
    const n = offset + i;
    const id = `enc-${n % resources}`;
    w.sim.store.put({ resourceType: "Encounter", id, status: n % 2 === 0 ? "in-progress" : "finished", class: { code: "AMB" }, subject: { reference: `Patient/p-${n % 7}` } });
    if (i % 10 === 9) await w.advance(subscription, 200, 200);
  }
  await w.settle(subscription);
}

/** The channel header the harness's subscribers set, as a server sends it back. */
export const HEADERS = { authorization: "Bearer hook-secret" };

/** An event notification as a server would send it, for `eventNumber` (and `count`) about `focus`. */
export function crafted(base: string, id: string, eventNumber: number, count = eventNumber, focus = "Encounter/x", timestamp = "2026-11-30T08:00:01Z"): string {
  const part = [
    { name: "event-number", valueString: String(eventNumber) },
    { name: "timestamp", valueInstant: timestamp },
    { name: "focus", valueReference: { reference: focus } },
  ];
  const parameter = [
    { name: "subscription", valueReference: { reference: `${base}/Subscription/${id}` } },
    { name: "status", valueCode: "active" },
    { name: "type", valueCode: "event-notification" },
    { name: "events-since-subscription-start", valueString: String(count) },
    { name: "notification-event", part },
  ];
  return JSON.stringify({ resourceType: "Bundle", type: "history", entry: [{ fullUrl: "urn:uuid:s", resource: { resourceType: "Parameters", parameter } }] });
}
