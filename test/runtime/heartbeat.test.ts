/** The lease heartbeat the outbox worker and the webhook hand-off share, on a fake clock. */
import { describe, expect, it } from "@jest/globals";
import { FakeClock } from "carewire/testing";
import { startHeartbeat } from "../../src/runtime/core/heartbeat.js";

describe("startHeartbeat", () => {
  it("beats once per interval, goes on after a beat that throws, and leaves nothing waiting once stopped", async () => {
    const clock = new FakeClock({ start: 0 });
    const beats: number[] = [];
    const heartbeat = startHeartbeat(clock, 1_000, async () => {
      beats.push(clock.now());
      if (beats.length === 2) throw new Error("store down");
    });
    await clock.advance(999);
    expect(beats).toEqual([]);
    for (let i = 0; i < 3; i++) await clock.advance(1_000);
    expect(beats).toEqual([1_000, 2_000, 3_000]);
    heartbeat.stop();
    await clock.advance(0);
    expect(clock.pending).toBe(0);
    await clock.advance(5_000);
    expect(beats).toHaveLength(3);
  });
});
