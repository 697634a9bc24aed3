/**
 * The heartbeat watchdog on a fake clock: silent for a period plus the margin → one alarm,
 * then one per further silent period; anything heard starts the count again; close stops it.
 */
import { describe, expect, it } from "@jest/globals";
import { FakeClock } from "carewire/testing";
import { HeartbeatWatchdog } from "../../../src/fhir/subscriptions/heartbeat-watchdog.js";

describe("the heartbeat watchdog", () => {
  it("alarms after the period plus the margin of silence, then once per further period, and not while heartbeats arrive", async () => {
    const clock = new FakeClock();
    const alarms: number[] = [];
    const watchdog = new HeartbeatWatchdog(clock, 10_000, 2_000, (silentMs) => alarms.push(silentMs));
    watchdog.start();
    for (let i = 0; i < 5; i++) {
      await clock.advance(9_000);
      watchdog.heard();
    }
    expect(alarms).toEqual([]);
    await clock.advance(11_999);
    expect(alarms).toEqual([]);
    await clock.advance(1);
    expect(alarms).toEqual([12_000]);
    await clock.advance(12_000);
    expect(alarms).toEqual([12_000, 24_000]);
    watchdog.heard();
    await clock.advance(11_000);
    expect(alarms).toHaveLength(2);
    await watchdog.close();
    await clock.advance(60_000);
    expect(alarms).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });
});
