/**
 * `isoTime` remembers its last answer (a call asks for the same millisecond several
 * times); whatever the order of requests, it must answer as `toISOString` does.
 */
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { isoTime } from "../../src/runtime/core/clock.js";

describe("isoTime", () => {
  it("equals new Date(ms).toISOString() for repeated and changing times", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of [...times, ...times.reverse(), times[0]!, times[0]!]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it("still rejects an invalid time, every time", () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
