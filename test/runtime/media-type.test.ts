/**
 * Media types as carewire reads them in specs and on the wire: which declared ranges cover a
 * type, and which type a request body goes out as.
 */
import { describe, expect, it } from "@jest/globals";
import { isMediaRange, mediaTypeMatches, requestContentType } from "../../src/runtime/wire/media-type.js";

describe("media ranges", () => {
  it("cover the types they name, with parameters and case ignored", () => {
    expect(mediaTypeMatches("application/json", "Application/JSON; charset=utf-8")).toBe(true);
    expect(mediaTypeMatches("*/*", "text/csv")).toBe(true);
    expect(mediaTypeMatches("image/*", "image/png")).toBe(true);
    expect(mediaTypeMatches("image/*", "text/png")).toBe(false);
  });

  it("a structured-syntax range covers its suffix's types and the plain type", () => {
    expect(mediaTypeMatches("application/*+json", "application/fhir+json")).toBe(true);
    expect(mediaTypeMatches("application/*+json", "application/merge-patch+json; charset=utf-8")).toBe(true);
    expect(mediaTypeMatches("application/*+json", "application/json")).toBe(true);
    expect(mediaTypeMatches("application/*+json", "application/+json")).toBe(false);
    expect(mediaTypeMatches("application/*+json", "text/json")).toBe(false);
    expect(mediaTypeMatches("application/*+json", "application/fhir+xml")).toBe(false);
  });

  it("a range is never what a body is sent as", () => {
    expect(isMediaRange("application/*+json")).toBe(true);
    expect(isMediaRange("application/json")).toBe(false);
    expect(requestContentType(["application/*+json", "application/json", "text/json"])).toBe("application/json");
    expect(requestContentType(["application/x-www-form-urlencoded", "application/json"])).toBe("application/x-www-form-urlencoded");
    expect(requestContentType(["*/*"])).toBe("application/json");
    expect(requestContentType(undefined)).toBe("application/json");
  });
});
