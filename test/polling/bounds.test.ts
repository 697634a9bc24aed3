/**
 * The poller's bounds, on a fake clock: at most `concurrency` polls at once, a stop that
 * returns within its bound, and hand-offs that outlive their deadline or throw: never
 * handed twice at once, handed again once they have ended.
 */
import { describe, expect, it } from "@jest/globals";
import type { Patient } from "fhir/r4.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { fhirChangesTarget, poller, type Poller, type PollerOptions, type PollEvent, type PolledChanges, type PollTarget } from "../../src/polling/index.js";
import { Feed, run, versions } from "./feed.js";

const T0 = Date.UTC(2030, 0, 1);
/** A poller with one change to hand off (at T0), on its own fake clock. */
function handingOff(options: Pick<PollerOptions<Patient>, "onChange" | "stopTimeoutMs" | "pollDeadlineMs">, clock = new FakeClock({ start: T0 })) {
  const feed = new Feed();
  feed.write("a", T0);
  return { clock, p: poller<Patient>({ targets: [fhirChangesTarget(feed, { key: "k", tenant: "t", startAt: new Date(T0).toISOString() })], clock, initialIntervalMs: 10_000, ...options }) };
}

/** Stops `p`, then moves the clock on by each step in turn: whether stop() had returned after each. */
async function stoppedAfter(clock: FakeClock, p: Poller, steps: readonly number[]): Promise<boolean[]> {
  let stopped = false;
  const stopping = p.stop().then(() => (stopped = true));
  const seen: boolean[] = [];
  for (const ms of steps) {
    await run(clock, ms);
    seen.push(stopped);
  }
  await stopping;
  return seen;
}

describe("bounds", () => {
  it("runs at most `concurrency` polls at once", async () => {
    const clock = new FakeClock({ start: T0 });
    let inFlight = 0;
    let most = 0;
    const slow = (key: string): PollTarget<never> => ({
      key,
      tenant: key,
      async *changesSince() {
        inFlight++;
        most = Math.max(most, inFlight);
        await clock.sleep(3_000);
        inFlight--;
      },
    });
    const p = poller({ targets: Array.from({ length: 12 }, (_, i) => slow(`t${i}`)), clock, concurrency: 3, minIntervalMs: 1_000, maxIntervalMs: 1_000, onChange: () => undefined });
    p.start();
    await run(clock, 30_000, 250);
    const stopping = p.stop();
    await run(clock, 5_000, 250);
    await stopping;
    expect(most).toBe(3);
  });

  it("stop() returns within its bound while a hand-off never ends, and saves nothing unhanded", async () => {
    const { clock, p } = handingOff({ stopTimeoutMs: 5_000, onChange: () => new Promise<void>(() => undefined) });
    p.start();
    await run(clock, 10_000);
    expect(await stoppedAfter(clock, p, [4_000, 1_500])).toEqual([false, true]);
    expect(p.running).toBe(false);
  });

  it("gives up on a hand-off that outlives the poll's deadline, tells it by its signal, and hands the same changes again only once it has ended", async () => {
    const clock = new FakeClock({ start: T0 });
    const feed = new Feed();
    feed.write("a", T0);
    const events: PollEvent[] = [];
    const calls: Array<{ start: number; end?: number; abortedAt?: number }> = [];
    let running = 0;
    let most = 0;
    const p = poller<Patient>({
      targets: [fhirChangesTarget(feed, { key: "k", tenant: "t", startAt: new Date(T0).toISOString() })],
      clock,
      initialIntervalMs: 10_000,
      minIntervalMs: 1_000,
      pollDeadlineMs: 20_000,
      onChange: async ({ signal }) => {
        const call: (typeof calls)[number] = { start: clock.now() - T0 };
        calls.push(call);
        signal.addEventListener("abort", () => (call.abortedAt = clock.now() - T0));
        most = Math.max(most, ++running);
        // The first ignores its signal and runs 45 s, well past the 20 s deadline.
        if (calls.length === 1) await clock.sleep(45_000);
        running--;
        call.end = clock.now() - T0;
      },
      observer: (e) => void events.push(e),
    });
    p.start();
    await run(clock, 90_000);
    const stopping = p.stop();
    await run(clock, 1_000);
    await stopping;
    expect(events.find((e) => e.type === "failed")).toMatchObject({ during: "hand-off", errorKind: "aborted" });
    expect(most).toBe(1);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.abortedAt).toBe(calls[0]!.start + 20_000);
    expect(calls[1]!.start).toBeGreaterThanOrEqual(calls[0]!.end!);
    expect(events.filter((e) => e.type === "changed")).toHaveLength(1);
  });

  it("stop() waits for an abandoned hand-off to settle, within its bound", async () => {
    let ended = false;
    const clock = new FakeClock({ start: T0 });
    const { p } = handingOff({ pollDeadlineMs: 5_000, stopTimeoutMs: 20_000, onChange: async () => void (await clock.sleep(12_000), (ended = true)) }, clock);
    p.start();
    await run(clock, 16_000);
    expect(await stoppedAfter(clock, p, [3_000, 5_000])).toEqual([false, true]);
    expect(ended).toBe(true);
  });

  it("hands changes again after onChange threw: the checkpoint had not moved", async () => {
    const clock = new FakeClock({ start: T0 });
    const feed = new Feed();
    const events: PollEvent[] = [];
    const handed: Array<PolledChanges<Patient>> = [];
    let refusals = 1;
    feed.write("a", T0 + 100);
    const again = poller<Patient>({
      targets: [fhirChangesTarget(feed, { key: "k", tenant: "t", startAt: new Date(T0).toISOString() })],
      clock,
      initialIntervalMs: 10_000,
      onChange: (c) => {
        if (refusals-- > 0) throw new Error("database down");
        handed.push(c);
      },
      observer: (e) => void events.push(e),
    });
    again.start();
    await run(clock, 60_000);
    await again.stop();
    expect(events.find((e) => e.type === "failed")).toMatchObject({ during: "hand-off", errorKind: "unexpected" });
    expect(handed.flatMap((h) => versions(h.changes))).toEqual(["a@1"]);
  });
});
