/**
 * Checkpoints in SQLite across a restart: every version is handed off once, in order,
 * including several written in the same millisecond, some of them after a poll had
 * already handed off others of that millisecond, and pages filled by one instant.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Patient } from "fhir/r4.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { fhirChangesTarget, poller, sqlitePollCheckpointStore } from "../../src/polling/index.js";
import { Feed, run, versions, stopOnClock } from "./feed.js";

const T0 = Date.UTC(2030, 0, 1);
const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-poll-restart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One run of the app: a poller on the SQLite file, until `ms` of fake time have passed. */
async function runApp(clock: FakeClock, feed: Feed, file: string, ms: number): Promise<string[]> {
  const store = sqlitePollCheckpointStore(file);
  const handed: string[] = [];
  const p = poller<Patient>({
    targets: [fhirChangesTarget(feed, { key: "clinic-1/Patient", tenant: "clinic-1", startAt: new Date(T0).toISOString(), pageSize: 2 })],
    store,
    clock,
    minIntervalMs: 5_000,
    maxIntervalMs: 20_000,
    initialIntervalMs: 5_000,
    onChange: (c) => void handed.push(...versions(c.changes)),
  });
  p.start();
  await run(clock, ms);
  await stopOnClock(clock, p);
  await store.close();
  return handed;
}

describe("a restart from a SQLite checkpoint", () => {
  it("neither misses nor repeats, with several changes in one millisecond", async () => {
    const clock = new FakeClock({ start: T0 });
    const feed = new Feed();
    const file = path.join(dir, "checkpoints.db");
    const at = T0 + 1_000;
    for (const id of ["a", "b", "c"]) feed.write(id, at);

    const first = await runApp(clock, feed, file, 30_000);
    expect(first).toEqual(["a@1", "b@1", "c@1"]);

    // Written in the millisecond already handed off (the server was still writing it), and later.
    feed.write("d", at);
    feed.write("a", clock.now());
    for (const id of ["f", "g", "h", "i", "j"]) feed.write(id, clock.now() + 500);
    await clock.advance(1_000);
    const second = await runApp(clock, feed, file, 60_000);
    expect(second).toEqual(["d@1", "a@2", "f@1", "g@1", "h@1", "i@1", "j@1"]);

    // A third run with nothing new hands off nothing.
    expect(await runApp(clock, feed, file, 60_000)).toEqual([]);
    feed.write("b", clock.now());
    expect(await runApp(clock, feed, file, 60_000)).toEqual(["b@2"]);
  });
});
