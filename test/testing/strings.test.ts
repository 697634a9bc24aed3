/**
 * Strings for a schema's `pattern`: the one generator behind the simulator's bodies and ids
 * and the contract runner's requests. Same pattern, same string, on every run.
 */
import { describe, expect, it } from "@jest/globals";
import { stringForPattern } from "../../src/testing/simulator/strings.js";

describe("a string for a pattern", () => {
  it.each([["^AC[0-9a-fA-F]{32}$"], ["^v\\d+\\.\\d+$"], ["^\\w{3,5}-[A-Z]{2}$"], ["^(cus|acct)_[A-Za-z0-9]{14}$"], ["^[^a]$"], ["[0-9]{3}"]])("matches %s, the same string on every draw", (pattern) => {
    const value = stringForPattern(pattern);
    expect(value).toBeDefined();
    expect(new RegExp(pattern, "u").test(value!)).toBe(true);
    expect(stringForPattern(pattern)).toBe(value);
  });

  it("anchors an unanchored pattern, so the value carries no noise around the match", () => {
    expect(stringForPattern("[0-9]{3}")).toMatch(/^[0-9]{3}$/);
  });

  it("keeps within the length bounds, or gives nothing when no draw fits", () => {
    const value = stringForPattern("^[a-z]+$", { minLength: 5, maxLength: 8 });
    expect(value?.length).toBeGreaterThanOrEqual(5);
    expect(value?.length).toBeLessThanOrEqual(8);
    expect(stringForPattern("^[a-z]{2}$", { minLength: 3 })).toBeUndefined();
  });

  it("draws distinct values for distinct seeds (ids)", () => {
    const ids = new Set([1, 2, 3, 4, 5].map((seed) => stringForPattern("^pat_[a-z0-9]{8}$", {}, seed)));
    expect(ids.size).toBe(5);
  });

  it("gives nothing for what the generator cannot do, and for a pattern that is not a regex", () => {
    expect(stringForPattern("^(a)\\1$")).toBeUndefined();
    expect(stringForPattern("^[a-$")).toBeUndefined();
  });
});
