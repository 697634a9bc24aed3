/**
 * `startTimer` runs on the given clock's own timer, called as its method (a clock written
 * as a class keeps its state on `this`), and on a real timer otherwise.
 */
import { describe, expect, it, jest } from "@jest/globals";
import { startTimer, type Clock } from "../../src/runtime/core/clock.js";

class ManualClock implements Clock {
  private readonly timers: Array<() => void> = [];
  now(): number {
    return 0;
  }
  async sleep(): Promise<void> {}
  setTimer(_ms: number, fire: () => void): () => void {
    this.timers.push(fire);
    return () => {
      const at = this.timers.indexOf(fire);
      if (at >= 0) this.timers.splice(at, 1);
    };
  }
  fireAll(): void {
    for (const fire of this.timers.splice(0)) fire();
  }
}

describe("startTimer", () => {
  it("uses the clock's setTimer as a method, and its cancel", () => {
    const clock = new ManualClock();
    const fired = jest.fn();
    const cancel = startTimer(clock, 1000, fired);
    clock.fireAll();
    expect(fired).toHaveBeenCalledTimes(1);
    const other = jest.fn();
    startTimer(clock, 1000, other)();
    clock.fireAll();
    expect(other).not.toHaveBeenCalled();
    cancel();
  });
});
