/**
 * What polling refuses, with a typed error and nothing lost: options it cannot work with,
 * and a server answer it cannot place in time (the checkpoint stays, nothing is handed off,
 * and the error names no resource).
 */
import { describe, expect, it } from "@jest/globals";
import type { Bundle, Patient } from "fhir/r4.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { fhirChangesTarget, memoryPollCheckpointStore, poller, PollOptionsError, type ChangedSinceSearch, type PollEvent } from "../../src/polling/index.js";
import { Feed, run } from "./feed.js";

const T0 = Date.UTC(2030, 0, 1);
const START = new Date(T0).toISOString();

describe("options polling refuses", () => {
  const feed = new Feed();
  const target = (key: string) => fhirChangesTarget(feed, { key, tenant: "t", startAt: START });
  const refused = (make: () => unknown) => {
    try {
      make();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it.each([
    ["two targets with one key", () => poller({ targets: [target("k"), target("k")], onChange: () => undefined })],
    ["a minimum interval of 0", () => poller({ targets: [target("k")], minIntervalMs: 0, onChange: () => undefined })],
    ["a maximum below the minimum", () => poller({ targets: [target("k")], minIntervalMs: 10_000, maxIntervalMs: 5_000, onChange: () => undefined })],
    ["a slowdown below 1", () => poller({ targets: [target("k")], slowdown: 0.5, onChange: () => undefined })],
    ["jitter of 1 or more", () => poller({ targets: [target("k")], jitter: 1, onChange: () => undefined })],
    ["a fractional concurrency", () => poller({ targets: [target("k")], concurrency: 1.5, onChange: () => undefined })],
    ["an endless poll deadline", () => poller({ targets: [target("k")], pollDeadlineMs: Infinity, onChange: () => undefined })],
    ["a page size of 0", () => fhirChangesTarget(feed, { key: "k", tenant: "t", pageSize: 0 })],
    ["a negative settle time", () => fhirChangesTarget(feed, { key: "k", tenant: "t", settleMs: -1 })],
    ["a start that is not an instant", () => fhirChangesTarget(feed, { key: "k", tenant: "t", startAt: "2030-01-01" })],
  ])("refuses %s with PollOptionsError", (_what, make) => {
    const error = refused(make);
    expect(error).toBeInstanceOf(PollOptionsError);
    expect(error).toMatchObject({ kind: "poll-options" });
  });
});

describe("an answer polling cannot place", () => {
  async function pollOnce(entries: Patient[]) {
    const clock = new FakeClock({ start: T0 });
    const server: ChangedSinceSearch<Patient> = {
      async *searchPages() {
        const page: Bundle<Patient> = { resourceType: "Bundle", type: "searchset", entry: entries.map((resource) => ({ resource, search: { mode: "match" } })) };
        yield page;
      },
    };
    const store = memoryPollCheckpointStore();
    const events: PollEvent[] = [];
    const handed: Patient[] = [];
    const p = poller<Patient>({ targets: [fhirChangesTarget(server, { key: "k", tenant: "t", startAt: START })], store, clock, initialIntervalMs: 10_000, onChange: (c) => void handed.push(...c.changes), observer: (e) => void events.push(e) });
    p.start();
    await run(clock, 15_000);
    const stopping = p.stop();
    await run(clock, 1_000);
    await stopping;
    return { handed, events, checkpoint: await store.load("k") };
  }
  const at = (id: string, ms: number): Patient => ({ resourceType: "Patient", id, meta: { versionId: "1", lastUpdated: new Date(T0 + ms).toISOString() } });

  it("refuses a page not sorted by _lastUpdated (a server that ignored _sort): nothing handed off, the checkpoint kept", async () => {
    const { handed, events, checkpoint } = await pollOnce([at("a", 20), at("b", 10)]);
    expect(handed).toEqual([]);
    expect(events.find((e) => e.type === "failed")).toMatchObject({ errorKind: "poll-data" });
    expect(checkpoint).toEqual({ lastUpdated: START, handledAtLastUpdated: [] });
  });

  it("stops the poll before any hand-off when a resource has no meta.lastUpdated, and keeps the checkpoint", async () => {
    const { handed, events, checkpoint } = await pollOnce([at("a", 10), { resourceType: "Patient", id: "secret-id", meta: { versionId: "1" } }]);
    expect(handed).toEqual([]);
    expect(events.find((e) => e.type === "failed")).toMatchObject({ errorKind: "poll-data", during: "poll" });
    // The starting instant only: the page that could not be placed moved nothing.
    expect(checkpoint).toEqual({ lastUpdated: START, handledAtLastUpdated: [] });
    expect(JSON.stringify(events)).not.toContain("secret-id");
  });
});
