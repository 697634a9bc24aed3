/**
 * A client whose clock runs ahead of the server's: the target takes its start and its settle
 * time from the server (the newest change there, the search answer's own time), so changes
 * the server stamps "before" the client's now are neither skipped nor handed off unsettled.
 */
import { describe, expect, it } from "@jest/globals";
import type { Patient } from "fhir/r4.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { fhirChangesTarget, poller, type FhirChangesTargetOptions } from "../../src/polling/index.js";
import { Feed, run, versions } from "./feed.js";

const T0 = Date.UTC(2030, 0, 1);
/** The client's clock is this far ahead of the server's. */
const AHEAD = 60_000;

function world(options: Partial<FhirChangesTargetOptions> = {}) {
  const clock = new FakeClock({ start: T0 + AHEAD });
  const serverNow = () => clock.now() - AHEAD;
  const feed = new Feed();
  feed.serverNow = serverNow;
  const handed: Array<{ version: string; serverAt: number }> = [];
  const p = poller<Patient>({
    targets: [fhirChangesTarget(feed, { key: "k", tenant: "t", ...options })],
    clock,
    jitter: 0,
    minIntervalMs: 1_000,
    maxIntervalMs: 2_000,
    initialIntervalMs: 1_000,
    onChange: (c) => void handed.push(...versions(c.changes).map((version) => ({ version, serverAt: serverNow() }))),
  });
  return { clock, feed, serverNow, handed, p };
}

describe("a client clock ahead of the server", () => {
  it.each([
    ["starts at the server's newest change, not the client's now: a change right after the first poll is handed off, an older one is not", ["old"]],
    ["starts from the beginning on a server with nothing yet", []],
  ])("%s", async (_what, before) => {
    const { clock, feed, serverNow, handed, p } = world();
    for (const id of before) feed.write(id, serverNow() - 5_000);
    p.start();
    await run(clock, 3_000);
    feed.write("new", serverNow());
    await run(clock, 5_000);
    await p.stop();
    expect(handed.map((h) => h.version)).toEqual(["new@1"]);
  });

  it("holds a change back until settleMs has passed by the server's clock", async () => {
    const { clock, feed, serverNow, handed, p } = world({ startAt: new Date(T0 - 1_000).toISOString(), settleMs: 5_000 });
    p.start();
    await run(clock, 2_000);
    const written = serverNow();
    feed.write("a", written);
    await run(clock, 10_000, 250);
    await p.stop();
    expect(handed.map((h) => h.version)).toEqual(["a@1"]);
    expect(handed[0]!.serverAt - written).toBeGreaterThanOrEqual(5_000);
  });
});
