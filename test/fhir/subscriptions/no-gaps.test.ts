/**
 * A subscription against the FHIR simulator over real HTTP both ways, on a fake clock, with
 * notifications dropped, duplicated and delayed, and a silence (no notification, no
 * heartbeat) longer than a heartbeat period: every event reaches the app exactly once and
 * in order, and every gap is filled within one heartbeat period of being seen. Then the
 * same without `$events` (a `_lastUpdated` search fills gaps), and across a restart of the
 * receiver with a SQLite checkpoint.
 */
import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Encounter } from "fhir/r4.js";
import { sqliteSubscriptionCheckpoint, type FhirSubscription, type SubscriptionNote } from "carewire/fhir";
import { churn, HEARTBEAT_SECONDS, world, type World } from "./harness.js";

const FAULTS = { seed: 7, drop: 0.05, duplicate: 0.05, delay: 0.03, delayMs: 1_500 };

function caughtUp(notes: readonly SubscriptionNote[]) {
  return notes.filter((n): n is Extract<SubscriptionNote, { kind: "caught-up" }> => n.kind === "caught-up");
}

/** Every event number from 1 to the server's count, each once, in increasing order. */
function expectEveryEventOnceInOrder(w: World, id: string): void {
  const numbers = w.handled.map((e) => e.eventNumber);
  const count = w.sim.subscriptions!.eventCount(id)!;
  expect(numbers).toEqual(Array.from({ length: count }, (_, i) => i + 1));
}

/** Per resource, versions only go up, and the last one handed over is the one the server holds. */
function expectVersionsInOrderPerResource(w: World): void {
  const last = new Map<string, number>();
  for (const event of w.handled) {
    const version = Number(event.resource?.meta?.versionId);
    expect(version).toBeGreaterThan(last.get(event.focus!) ?? 0);
    last.set(event.focus!, version);
  }
  for (const encounter of w.sim.store.all("Encounter")) expect(last.get(`Encounter/${encounter.id}`)).toBe(Number(encounter.meta?.versionId));
}

/** 400 changes over `resources` Encounters; the server goes quiet (heartbeats too) for three heartbeat periods after the first 150, while changes go on. */
async function changesThroughASilence(w: World, sub: FhirSubscription<Encounter>, resources: number): Promise<void> {
  await churn(w, sub, 150, resources);
  w.sim.subscriptions!.silenceFor(3 * HEARTBEAT_SECONDS * 1000);
  await churn(w, sub, 100, resources, 150);
  await w.advance(sub, 3 * HEARTBEAT_SECONDS * 1000, 1_000);
  await churn(w, sub, 150, resources, 250);
  await w.advance(sub, 2 * HEARTBEAT_SECONDS * 1000, 1_000);
}

describe("a subscription with no gaps", () => {
  it("hands every event over once and in order through drops, duplicates, delays and a silence, each gap filled within a heartbeat period", async () => {
    const w = await world({ faults: FAULTS });
    const sub = w.subscriber();
    const started = await sub.start();
    expect(started.reused).toBe(false);

    await changesThroughASilence(w, sub, 40);

    const counters = w.sim.subscriptions!.counters;
    expect(counters.dropped).toBeGreaterThan(0);
    expect(w.handled.length).toBe(400);
    expect(counters.silenced).toBeGreaterThan(0);
    expect(w.sim.subscriptions!.eventCount(started.id)).toBe(400);
    expectEveryEventOnceInOrder(w, started.id);
    expectVersionsInOrderPerResource(w);
    expect(w.notes.some((n) => n.kind === "duplicate-dropped")).toBe(true);
    expect(w.alarms.some((a) => a.kind === "heartbeat-missed")).toBe(true);
    const fills = caughtUp(w.notes);
    expect(fills.length).toBeGreaterThan(0);
    for (const fill of fills) expect(fill.ms).toBeLessThanOrEqual(HEARTBEAT_SECONDS * 1000);
    expect(w.handled.some((e) => e.via === "events")).toBe(true);
    expect(w.alarms.filter((a) => a.kind !== "heartbeat-missed")).toEqual([]);
  }, 60_000);

  it("fills gaps with a _lastUpdated search where the server has no $events: each resource's versions in order, none twice, the latest always", async () => {
    const w = await world({ faults: FAULTS, eventsOperation: false });
    const sub = w.subscriber();
    const started = await sub.start();
    await changesThroughASilence(w, sub, 30);

    expectVersionsInOrderPerResource(w);
    const seen = w.handled.map((e) => `${e.focus}@${e.resource?.meta?.versionId}`);
    expect(new Set(seen).size).toBe(seen.length);
    expect(sub.lastHandled).toBe(w.sim.subscriptions!.eventCount(started.id));
    const fills = caughtUp(w.notes);
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.every((f) => f.via === "search")).toBe(true);
    for (const fill of fills) expect(fill.ms).toBeLessThanOrEqual(HEARTBEAT_SECONDS * 1000);
  }, 60_000);

  it("starts a new subscription's search catch-up where the subscription started, not with resources older than it", async () => {
    const w = await world({ faults: { drop: 1 }, eventsOperation: false });
    for (const n of [1, 2, 3]) w.sim.store.put({ resourceType: "Encounter", id: `old-${n}`, status: "finished", class: { code: "AMB" } });
    await w.clock.advance(1_000);
    const sub = w.subscriber();
    await sub.start();
    for (const n of [1, 2]) w.sim.store.put({ resourceType: "Encounter", id: `new-${n}`, status: "planned", class: { code: "AMB" } });
    // Every notification is dropped: the next heartbeat's count shows the gap.
    await w.advance(sub, HEARTBEAT_SECONDS * 1000, 1_000);
    expect(w.handled.map((e) => [e.focus, e.via])).toEqual([
      ["Encounter/new-1", "search"],
      ["Encounter/new-2", "search"],
    ]);
    expect(sub.lastHandled).toBe(2);
  });

  it("resumes after a restart of the receiver from its SQLite checkpoint: nothing repeated, nothing missed", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-subscription-"));
    try {
      const file = path.join(dir, "positions.db");
      const w = await world({ faults: FAULTS });
      const firstCheckpoint = sqliteSubscriptionCheckpoint(file);
      const first = w.subscriber({ checkpoint: firstCheckpoint });
      const started = await first.start();
      await churn(w, first, 120, 25);
      await first.close();
      await firstCheckpoint.close();
      // Down: the server's notifications go unanswered while changes go on.
      w.receiver.use(undefined);
      await churn(w, first, 60, 25, 120);

      const checkpoint = sqliteSubscriptionCheckpoint(file);
      const second = w.subscriber({ checkpoint });
      const restarted = await second.start();
      expect(restarted).toEqual({ id: started.id, reused: true });
      await churn(w, second, 120, 25, 180);
      await w.advance(second, 2 * HEARTBEAT_SECONDS * 1000, 1_000);
      await checkpoint.close();

      expectEveryEventOnceInOrder(w, started.id);
      expectVersionsInOrderPerResource(w);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
