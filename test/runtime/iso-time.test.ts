/**
 * `isoTime` remembers its last answer (a call asks for the same millisecond several
 * times); whatever the order of requests, it must answer as `toISOString` does.
 */
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { isoTime } from "../../src/runtime/core/clock.js";

/** The text, or "RangeError" when there is none (past the last date). */
function attempt(format: () => string): string {
  try {
    return format();
  } catch (error) {
    return error instanceof RangeError ? "RangeError" : "other error";
  }
}

describe("isoTime", () => {
  it("equals new Date(ms).toISOString() for repeated and changing times", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of [...times, ...times.reverse(), times[0]!, times[0]!]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it("equals toISOString within and across minutes, before 1970, past year 9999 and for fractions of a millisecond", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -8.64e15 - 120_000, max: 8.64e15 + 120_000 }), fc.integer({ min: 8.64e15 - 200_000, max: 8.64e15 + 200_000 })), fc.array(fc.integer({ min: -90_000, max: 90_000 }), { maxLength: 20 }), (start, steps) => {
        let ms = start;
        for (const step of steps) {
          ms += step;
          for (const t of [ms, ms + 0.5, -ms, ms]) expect(attempt(() => isoTime(t))).toBe(attempt(() => new Date(t).toISOString()));
        }
      }),
    );
  });

  it("rejects a time past the last date even within the minute it last wrote", () => {
    expect(isoTime(8.64e15 - 5)).toBe(new Date(8.64e15 - 5).toISOString());
    expect(() => isoTime(8.64e15 + 5)).toThrow(RangeError);
    expect(isoTime(-8.64e15)).toBe(new Date(-8.64e15).toISOString());
    expect(() => isoTime(-8.64e15 - 1)).toThrow(RangeError);
  });

  it("still rejects an invalid time, every time", () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
