/**
 * Many resources stamped with one `lastUpdated`: more than a poll's pages hold, and more
 * than a checkpoint can list. Pages of one instant do not use up a poll's pages, so the
 * poll reaches past the versions already handled; an instant too crowded to be listed in a
 * checkpoint is refused before its hand-off, never handed off again and again.
 */
import { describe, expect, it } from "@jest/globals";
import type { Patient } from "fhir/r4.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { fhirChangesTarget, poller, type PollEvent } from "../../src/polling/index.js";
import { Feed, run, versions, stopOnClock } from "./feed.js";

const T0 = Date.UTC(2030, 0, 1);

async function pollFor(feed: Feed, ms: number, pageSize: number, maxPages: number) {
  const clock = new FakeClock({ start: T0 });
  const handed: string[] = [];
  const events: PollEvent[] = [];
  const target = fhirChangesTarget(feed, { key: "k", tenant: "t", startAt: new Date(T0).toISOString(), pageSize, maxPages });
  const p = poller<Patient>({ targets: [target], clock, jitter: 0, minIntervalMs: 1_000, maxIntervalMs: 2_000, initialIntervalMs: 1_000, onChange: (c) => void handed.push(...versions(c.changes)), observer: (e) => void events.push(e) });
  p.start();
  await run(clock, ms);
  await stopOnClock(clock, p);
  return { handed, events };
}

describe("many resources at one instant", () => {
  it("hands off all 50 at one instant with pages of 10 and at most 3 pages a poll, each once", async () => {
    const feed = new Feed();
    for (let i = 0; i < 50; i++) feed.write(`p${i}`, T0 + 100);
    feed.write("later", T0 + 200);
    const { handed } = await pollFor(feed, 20_000, 10, 3);
    expect(new Set(handed).size).toBe(handed.length);
    expect(handed).toHaveLength(51);
    expect(handed.at(-1)).toBe("later@1");
  });

  it("refuses an instant of more than 10,000 versions before handing off what it cannot record, and never hands a version twice", async () => {
    const feed = new Feed();
    for (let i = 0; i < 10_050; i++) feed.write(`p${i}`, T0 + 100);
    const { handed, events } = await pollFor(feed, 5_000, 1_000, 3);
    expect(new Set(handed).size).toBe(handed.length);
    expect(handed).toHaveLength(10_000);
    const failed = events.filter((e) => e.type === "failed");
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.every((e) => e.type === "failed" && e.errorKind === "poll-data" && e.during === "poll")).toBe(true);
  }, 30_000);
});
