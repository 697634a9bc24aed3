/**
 * Whether a delivery may repeat an earlier one whose outcome was never recorded (its worker
 * died mid-call): more claims since the intent was added or last buried than records.
 */
import { describe, expect, it } from "@jest/globals";
import { mayHaveApplied, mayRepeat } from "../../src/outbox/deliver.js";
import type { AttemptRecord, ResultMeta } from "../../src/runtime/core/meta.js";
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

describe("a delivery whose write may have been applied", () => {
  const meta = (...attempts: Array<Partial<AttemptRecord>>) => ({ attempts: attempts.map((a, i) => ({ attempt: i + 1, startedAt: "", durationMs: 1, delayMs: 0, ...a })) }) as unknown as ResultMeta;

  it("is one that got no answer (cut off, timed out, aborted) or a 5xx other than 503", () => {
    expect(mayHaveApplied(meta({ errorKind: "network", outcome: "unknown-outcome" }))).toBe(true);
    expect(mayHaveApplied(meta({ errorKind: "aborted", outcome: "permanent" }))).toBe(true);
    expect(mayHaveApplied(meta({ status: 503, outcome: "retryable" }))).toBe(false);
    expect(mayHaveApplied(meta({ status: 429, outcome: "throttled" }))).toBe(false);
    expect(mayHaveApplied(meta({ status: 503, outcome: "retryable" }, { status: 504, outcome: "retryable" }))).toBe(true);
    // Refused before it went out (a connection refused, an open circuit): nothing reached the provider.
    expect(mayHaveApplied(meta({ errorKind: "network", outcome: "retryable" }))).toBe(false);
    expect(mayHaveApplied(meta())).toBe(false);
    expect(mayHaveApplied(undefined)).toBe(false);
  });

  it("makes every later delivery a repeat, until the intent is buried", () => {
    const maybe: DeliveryRecord = { ...record("deferred"), mayHaveApplied: true };
    expect(mayRepeat({ deliveries: 2, history: [maybe] })).toBe(true);
    expect(mayRepeat({ deliveries: 3, history: [maybe, record("deferred")] })).toBe(true);
    expect(mayRepeat({ deliveries: 1, history: [maybe, record("dead")] })).toBe(false);
  });
});
