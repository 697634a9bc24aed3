/**
 * Bracketed form keys and deepObject query parameters as the simulator reads them: nested
 * objects and arrays, and nothing a client sends reaches an object's prototype.
 */
import { describe, expect, it } from "@jest/globals";
import { bracketDecode } from "../../src/testing/simulator/brackets.js";

describe("bracketed keys", () => {
  it("nest objects and arrays, as form bodies and deepObject parameters send them", () => {
    const decoded = bracketDecode(new URLSearchParams("scope[type]=account&line_items[0][price]=p1&line_items[0][quantity]=2&line_items[1][price]=p2&expand[]=a&expand[]=b&name=x"));
    expect(decoded).toEqual({ scope: { type: "account" }, line_items: [{ price: "p1", quantity: "2" }, { price: "p2" }], expand: ["a", "b"], name: "x" });
  });

  it("drop keys that would reach a prototype, and keep the first shape of a key given twice", () => {
    const decoded = bracketDecode(new URLSearchParams("__proto__[polluted]=1&a[constructor][prototype][x]=1&b=plain&b[nested]=2"));
    expect(decoded).toEqual({ b: "plain" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
