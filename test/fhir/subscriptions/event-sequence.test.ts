/**
 * The event sequence: duplicates dropped, events after a gap held until it is filled, the
 * gap named exactly, and (as a property) any arrival order with any repeats yields each
 * event once, in number order.
 */
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { EventSequence } from "../../../src/fhir/subscriptions/event-sequence.js";
import type { SubscriptionEvent } from "carewire/fhir";

const event = (n: number): SubscriptionEvent => ({ eventNumber: n, timestamp: "2026-11-30T08:00:00Z", focus: `Encounter/e${n % 3}`, via: "notification" });

/** Hands over everything next in line. */
function drain(sequence: EventSequence): number[] {
  const out: number[] = [];
  for (let next = sequence.peek(); next; next = sequence.peek()) {
    out.push(next.eventNumber);
    sequence.advance();
  }
  return out;
}

describe("the event sequence", () => {
  it("drops an event already handled or already held", () => {
    const sequence = new EventSequence(2);
    expect(sequence.offer(event(2))).toBe("duplicate");
    expect(sequence.offer(event(4))).toBe("held");
    expect(sequence.offer(event(4))).toBe("duplicate");
  });

  it("holds events after a gap, names the gap, and releases them in order once it is filled", () => {
    const sequence = new EventSequence(0);
    for (const n of [1, 2, 5, 6]) sequence.offer(event(n));
    expect(drain(sequence)).toEqual([1, 2]);
    expect(sequence.gap()).toEqual({ from: 3, to: 4 });
    sequence.offer(event(4));
    expect(drain(sequence)).toEqual([]);
    sequence.offer(event(3));
    expect(drain(sequence)).toEqual([3, 4, 5, 6]);
    expect(sequence.gap()).toBeUndefined();
  });

  it("sees a gap in a count the server reports with no event (a heartbeat, a status)", () => {
    const sequence = new EventSequence(7);
    sequence.learnCount(9);
    expect(sequence.gap()).toEqual({ from: 8, to: 9 });
    sequence.learnCount(3);
    expect(sequence.highestKnown).toBe(9);
  });

  it("skips what a catch-up covered, dropping held events inside it", () => {
    const sequence = new EventSequence(0);
    sequence.offer(event(3));
    sequence.offer(event(6));
    sequence.skipTo(4);
    expect(sequence.lastHandled).toBe(4);
    expect(sequence.gap()).toEqual({ from: 5, to: 5 });
  });

  it("refuses to hold more than its bound (a catch-up fetches those again)", () => {
    const sequence = new EventSequence(0, 2);
    expect([sequence.offer(event(5)), sequence.offer(event(6)), sequence.offer(event(7))]).toEqual(["held", "held", "overflow"]);
  });

  it("hands over each event once, in order, whatever the arrival order and repeats", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 120 }), (arrivals) => {
        const sequence = new EventSequence(0);
        const out: number[] = [];
        for (const n of arrivals) {
          sequence.offer(event(n));
          out.push(...drain(sequence));
        }
        const max = out.length;
        expect(out).toEqual(Array.from({ length: max }, (_, i) => i + 1));
        // What is missing is exactly the gap the sequence names.
        const gap = sequence.gap();
        if (gap) expect(arrivals.includes(gap.from)).toBe(false);
      }),
    );
  });
});
