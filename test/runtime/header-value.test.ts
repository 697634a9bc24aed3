/**
 * Response headers read from one pass over them: the same answers as `Headers.get` (repeated
 * fields joined, names in any case given in lower case), and an object with `get` alone asked
 * as it is.
 */
import { describe, expect, it } from "@jest/globals";
import { headerValue } from "../../src/runtime/wire/header-value.js";

describe("headerValue", () => {
  it("answers what Headers.get answers, for present, repeated and absent fields", () => {
    const headers = new Headers([
      ["Content-Type", "application/json"],
      ["X-RateLimit-Remaining", "7"],
      ["Cache-Control", "max-age=60"],
      ["cache-control", "stale-if-error=300"],
    ]);
    for (const name of ["content-type", "x-ratelimit-remaining", "cache-control", "retry-after"]) expect(headerValue(headers, name)).toBe(headers.get(name));
    expect(headerValue(headers, "cache-control")).toBe("max-age=60, stale-if-error=300");
    expect(headerValue(headers, "retry-after")).toBeNull();
  });

  it("asks an object shaped like headers with get alone as it is", () => {
    const seen: string[] = [];
    const getOnly = { get: (name: string) => (seen.push(name), name === "retry-after" ? "3" : null) } as unknown as Headers;
    expect(headerValue(getOnly, "retry-after")).toBe("3");
    expect(headerValue(getOnly, "etag")).toBeNull();
    expect(seen).toEqual(["retry-after", "etag"]);
  });
});
