/**
 * A generated client refuses a misspelt option when it is made, from JavaScript or from a
 * JSON config, where TypeScript cannot see it: `baseURL` would otherwise leave the client
 * calling the spec's production server. A field like no option at all is left alone.
 */
import { describe, expect, it } from "@jest/globals";
import { checkClientOptions, type ClientOptions } from "carewire";
import { createClinicClient } from "../../generated/clinic/index.js";

/** Options as JavaScript or JSON.parse hands them over: no type checks them. */
const untyped = (options: unknown) => options as ClientOptions;

describe("a client's options, checked by name", () => {
  it("refuses a misspelt option, saying which was meant, before anything is sent", () => {
    expect(() => createClinicClient(untyped({ baseURL: "http://127.0.0.1:1" }))).toThrow(new TypeError('createClinicClient: unknown option "baseURL" (did you mean "baseUrl"?)'));
    expect(() => createClinicClient(untyped(JSON.parse('{ "timeout": 5000, "header": { "x": "1" }, "base_url": "http://x" }')))).toThrow(
      new TypeError('createClinicClient: unknown options "timeout" (did you mean "timeoutMs"?), "header" (did you mean "headers"?), "base_url" (did you mean "baseUrl"?)'),
    );
  });

  it("takes every option it has, and leaves a field like no option alone (an app's own, in a shared config)", () => {
    expect(() => createClinicClient()).not.toThrow();
    expect(() => createClinicClient({ baseUrl: "http://127.0.0.1:1", timeoutMs: 1, headers: {}, query: {}, pacing: false, retry: false, tenant: "t" })).not.toThrow();
    expect(() => createClinicClient(untyped({ baseUrl: "http://127.0.0.1:1", appName: "intake", environment: "staging" }))).not.toThrow();
    // A short name is a near miss only one letter away.
    expect(() => checkClientOptions({ url: "x", id: 1 }, "createX")).not.toThrow();
  });

  it("says where an API key goes when one is passed as an option, and refuses a base URL that is not a string", () => {
    expect(() => createClinicClient(untyped({ apiKey: "k" }))).toThrow(new TypeError('createClinicClient: unknown option "apiKey" (an API key goes in `headers`, or in `query` where the spec puts it in the query string)'));
    expect(() => createClinicClient(untyped({ baseUrl: 42 }))).toThrow(new TypeError("createClinicClient: baseUrl must be a URL string, not number"));
  });

  it("refuses options that are not an object", () => {
    for (const [given, what] of [
      [null, "null"],
      ["http://x", "string"],
      [[], "an array"],
    ] as const) {
      expect(() => checkClientOptions(given, "createX")).toThrow(new TypeError(`createX: the options must be an object, not ${what}`));
    }
  });
});
