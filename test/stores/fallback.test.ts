/**
 * The rule every shared store follows when Redis fails: answer locally at once, ask Redis
 * again after `retryAfterMs`, and tell the operator's listener of each change once.
 */
import { describe, expect, it } from "@jest/globals";
import { Fallback } from "../../src/runtime/stores/fallback.js";

describe("Fallback", () => {
  it("answers locally while the shared store fails, asks it again after retryAfterMs, and says each change once", async () => {
    const states: string[] = [];
    const fallback = new Fallback(100, (s) => states.push(s));
    let down = false;
    let asked = 0;
    const shared = () => {
      asked++;
      if (down) throw new Error("connection is closed");
      return "shared";
    };
    expect(await fallback.either(0, shared, () => "local")).toBe("shared");
    down = true;
    expect(await fallback.either(10, shared, () => "local")).toBe("local");
    // Within retryAfterMs the shared store is not asked at all.
    expect(await fallback.either(50, shared, () => "local")).toBe("local");
    expect(asked).toBe(2);
    expect(await fallback.either(120, shared, () => "local")).toBe("local");
    down = false;
    expect(await fallback.either(230, shared, () => "local")).toBe("shared");
    expect(await fallback.either(240, shared, () => "local")).toBe("shared");
    expect(states).toEqual(["local", "shared"]);
  });

  it("a listener that throws changes nothing for the caller", async () => {
    const fallback = new Fallback(0, () => {
      throw new Error("the app's logger broke");
    });
    expect(
      await fallback.either(
        0,
        () => {
          throw new Error("down");
        },
        () => "local",
      ),
    ).toBe("local");
  });
});
