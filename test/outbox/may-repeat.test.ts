/**
 * Whether a delivery may repeat an earlier one whose outcome was never recorded (its worker
 * died mid-call): more claims since the intent was added or last buried than records.
 */
import { describe, expect, it } from "@jest/globals";
import { mayRepeat } from "../../src/outbox/deliver.js";
import type { DeliveryRecord } from "../../src/outbox/outbox-store.js";

const record = (disposition: DeliveryRecord["disposition"]): DeliveryRecord => ({ at: 1, worker: "w", disposition });

describe("a delivery that may repeat an unrecorded one", () => {
  it("the first claim, and a claim after recorded deferrals, repeat nothing", () => {
    expect(mayRepeat({ deliveries: 1, history: [] })).toBe(false);
    expect(mayRepeat({ deliveries: 3, history: [record("deferred"), record("deferred")] })).toBe(false);
  });

  it("a claim after one with no record may repeat it", () => {
    expect(mayRepeat({ deliveries: 2, history: [] })).toBe(true);
    expect(mayRepeat({ deliveries: 3, history: [record("deferred")] })).toBe(true);
  });

  it("counts only the records since the intent was last buried (a revive counts claims afresh)", () => {
    const buried = [record("deferred"), record("deferred"), record("dead")];
    expect(mayRepeat({ deliveries: 1, history: buried })).toBe(false);
    expect(mayRepeat({ deliveries: 2, history: [...buried, record("deferred")] })).toBe(false);
    expect(mayRepeat({ deliveries: 2, history: buried })).toBe(true);
  });
});
