/** The contract runner's minimal requests carry ids that match their schema's pattern. */
import { describe, expect, it } from "@jest/globals";
import { sampleForPattern } from "../../src/testing/pattern-sample.js";

describe("a string for a pattern", () => {
  it("fills literals, classes and counted repeats", () => {
    expect(sampleForPattern("^AC[0-9a-fA-F]{32}$")).toBe(`AC${"0".repeat(32)}`);
    expect(sampleForPattern("^v\\d+\\.\\d+$")).toBe("v0.0");
    expect(sampleForPattern("^\\w{3,5}-[A-Z]{2}$")).toBe("aaa-AA");
  });

  it("leaves groups, alternatives and negated classes alone", () => {
    expect(sampleForPattern("^(a|b)$")).toBeUndefined();
    expect(sampleForPattern("^[^a]$")).toBeUndefined();
  });
});
