/**
 * Waits that share one caller signal share one abort listener on it: a backoff sleep per
 * call in flight must not pile listeners on a signal an app uses for a whole sync.
 */
import { describe, expect, it } from "@jest/globals";
import { getEventListeners } from "node:events";
import { onAbort } from "../../src/runtime/core/abort-watch.js";
import { systemClock } from "../../src/runtime/core/clock.js";
import { FakeClock } from "carewire/testing";

describe("one abort listener per signal", () => {
  it("twenty sleeps on one signal add one listener, all end on the abort, and the listener leaves", async () => {
    const controller = new AbortController();
    const sleeps = Array.from({ length: 20 }, () => systemClock.sleep(60_000, controller.signal));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort(new Error("sync cancelled"));
    const outcomes = await Promise.allSettled(sleeps);
    expect(outcomes.every((o) => o.status === "rejected" && (o.reason as { kind?: string }).kind === "aborted")).toBe(true);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("a sleep that ends on time takes its wait off the signal; the last one takes the listener", async () => {
    const controller = new AbortController();
    await Promise.all([systemClock.sleep(1, controller.signal), systemClock.sleep(2, controller.signal)]);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("ends only the waits still watching", () => {
    const controller = new AbortController();
    const ended: string[] = [];
    const stopA = onAbort(controller.signal, () => ended.push("a"));
    onAbort(controller.signal, () => ended.push("b"));
    stopA();
    controller.abort();
    expect(ended).toEqual(["b"]);
  });
});

describe("the fake clock's sleeps", () => {
  it("leave the signal when they end, so a loop sleeping on one signal holds no listener per turn", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    for (let turn = 0; turn < 12; turn++) {
      const slept = clock.sleep(1_000, controller.signal);
      expect(getEventListeners(controller.signal, "abort").length).toBeLessThanOrEqual(1);
      await clock.advance(1_000);
      await slept;
    }
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    const last = clock.sleep(1_000, controller.signal);
    controller.abort();
    await expect(last).rejects.toMatchObject({ kind: "aborted" });
    expect(clock.pending).toBe(0);
  });
});
