/**
 * A server that stamps `lastUpdated` when a transaction starts and shows the resource when
 * it commits can reveal an older change after a newer one. Without a settle time the
 * checkpoint has moved past it (the change is missed); with `settleMs` covering the commit
 * delay, both are handed off, oldest first.
 */
import { describe, expect, it } from "@jest/globals";
import type { Patient } from "fhir/r4.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { fhirChangesTarget, poller } from "../../src/polling/index.js";
import { Feed, run, versions, stopOnClock } from "./feed.js";

const T0 = Date.UTC(2030, 0, 1);

async function lateCommit(settleMs: number): Promise<{ handed: string[]; handedAt: Map<string, number> }> {
  const clock = new FakeClock({ start: T0 });
  const feed = new Feed();
  const handed: string[] = [];
  const handedAt = new Map<string, number>();
  const target = fhirChangesTarget(feed, { key: "k", tenant: "t", startAt: new Date(T0).toISOString(), settleMs });
  const p = poller<Patient>({ targets: [target], clock, jitter: 0, minIntervalMs: 1_000, maxIntervalMs: 2_000, initialIntervalMs: 1_000, onChange: (c) => {
      handed.push(...versions(c.changes));
      for (const v of versions(c.changes)) handedAt.set(v, c.at - T0);
    },
  });
  p.start();
  feed.write("a", T0 + 2_000);
  await run(clock, 6_000, 250);
  // Committed now, stamped before "a": its transaction began at 1.5 s.
  feed.write("b", T0 + 1_500);
  await run(clock, 20_000, 250);
  await stopOnClock(clock, p);
  return { handed, handedAt };
}

describe("settleMs", () => {
  it("without it, a change revealed after a newer one is behind the checkpoint: missed", async () => {
    const { handed } = await lateCommit(0);
    expect(handed).toEqual(["a@1"]);
  });

  it("with it covering the commit delay, hands off both, oldest first, no sooner than settleMs after each", async () => {
    const { handed, handedAt } = await lateCommit(5_000);
    expect(handed).toEqual(["b@1", "a@1"]);
    // Each no sooner than settleMs after its lastUpdated (b: 1.5 s, a: 2 s).
    expect(handedAt.get("b@1")).toBeGreaterThanOrEqual(6_500);
    expect(handedAt.get("a@1")).toBeGreaterThanOrEqual(7_000);
  });
});
