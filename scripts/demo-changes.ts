/**
 * The demo's last part: changes that come to the app. A FHIR server pushes Encounter changes
 * to a topic-based Subscription while it drops 5 % of its notifications, sends 5 % twice and
 * goes silent (no notification, no heartbeat) for a while; the subscription helper hands the
 * app every change exactly once and in order, catching up from the server's event log.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Encounter } from "fhir/r4.js";
import { fhirSubscription, type SubscriptionEvent, type SubscriptionNote } from "../src/fhir/index.js";
import { startFhirSimulator } from "../src/testing/index.js";
import { createFhirR4Client } from "../generated/fhir-r4/index.js";
import type { TelemetryEvent } from "../src/index.js";

const TOPIC = "http://example.org/fhir/SubscriptionTopic/encounter-changes";
const CHANGES = 200;
const ENCOUNTERS = 20;
const HEARTBEAT_SECONDS = 1;
const SECRET = `Bearer demo-${Math.random().toString(36).slice(2)}`;

export async function changesDemo(onEvent: (event: TelemetryEvent) => void): Promise<void> {
  const sim = await startFhirSimulator({
    capability: "specs/fhir-r4/capability.json",
    seed: 5,
    subscriptions: { topics: [{ url: TOPIC, resourceType: "Encounter" }], faults: { seed: 5, drop: 0.05, duplicate: 0.05 } },
  });
  const handled: Array<SubscriptionEvent<Encounter>> = [];
  const notes: SubscriptionNote[] = [];
  let alarms = 0;
  const receiver = http.createServer((req, res) => subscription.listener(req, res));
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const subscription = fhirSubscription<Encounter>({
    client: { baseUrl: sim.url, onEvent },
    topic: TOPIC,
    resourceType: "Encounter",
    endpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/fhir-hook`,
    header: `Authorization: ${SECRET}`,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    payload: "full-resource",
    onEvent: (event) => void handled.push(event),
    observe: (note) => void notes.push(note),
    onAlarm: () => void alarms++,
  });
  const started = performance.now();
  try {
    const { id } = await subscription.start();
    const fhir = createFhirR4Client({ baseUrl: sim.url, onEvent });
    for (let i = 0; i < CHANGES; i++) {
      if (i === CHANGES / 2) sim.subscriptions!.silenceFor(2.5 * HEARTBEAT_SECONDS * 1000);
      const encounter: Encounter & { id: string } = { resourceType: "Encounter", id: `enc-${i % ENCOUNTERS}`, status: i % 2 === 0 ? "in-progress" : "finished", class: { code: "AMB" } };
      const result = await fhir.Encounter.update(encounter);
      if (result.error) throw result.error;
    }
    // Every change is handed over once the last gap is filled (bounded: a demo must end).
    const deadline = performance.now() + 20_000;
    while (subscription.lastHandled < CHANGES && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const numbers = handled.map((e) => e.eventNumber);
    const inOrder = numbers.every((n, i) => n === i + 1);
    const counters = sim.subscriptions!.counters;
    const fills = notes.filter((n): n is Extract<SubscriptionNote, { kind: "caught-up" }> => n.kind === "caught-up");
    const rows: Array<[string, string]> = [
      ["Encounter changes on the server", `${sim.subscriptions!.eventCount(id)} (${ENCOUNTERS} encounters)`],
      ["notifications and heartbeats sent / dropped / held back by a silence", `${counters.sent} / ${counters.dropped} / ${counters.silenced}`],
      ["duplicates dropped by the receiver", String(notes.filter((n) => n.kind === "duplicate-dropped").length)],
      ["gaps caught up from $events", `${fills.length} (${fills.reduce((sum, f) => sum + f.events, 0)} events; longest ${Math.max(0, ...fills.map((f) => f.ms))} ms)`],
      ["heartbeat alarms", String(alarms)],
      ["events handed to the app", `${handled.length}, ${inOrder && new Set(numbers).size === numbers.length ? "each once, in order" : "NOT each once in order"}`],
      ["elapsed", `${((performance.now() - started) / 1000).toFixed(1)} s`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`\ncarewire demo: a FHIR Subscription through dropped, duplicated and silenced notifications\n\n`);
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
    process.stdout.write("\nThe receiver dropped what it had already handled and filled every gap from the server's event log.\n");
  } finally {
    await subscription.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await sim.close();
  }
}
