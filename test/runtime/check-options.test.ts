/**
 * A generated client refuses a misspelt option when it is made, from JavaScript or from a
 * JSON config, where TypeScript cannot see it: `baseURL` would otherwise leave the client
 * calling the spec's production server. A field like no option at all is left alone. The
 * same for a policy's options and a call's, and times and sizes must be positive numbers.
 */
import { describe, expect, it } from "@jest/globals";
import { checkClientOptions, type ClientOptions } from "carewire";
import { createClinicClient } from "../../generated/clinic/index.js";
import { startServer } from "../helpers/http-server.js";

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

  it("refuses a misspelt option inside retry, pacing, breaker and cache", () => {
    expect(() => createClinicClient(untyped({ retry: { maxAttempt: 2 }, breaker: { openMS: 500 }, pacing: { limits: 5 }, cache: { stor: undefined } }))).toThrow(
      new TypeError('createClinicClient: unknown options "retry.maxAttempt" (did you mean "retry.maxAttempts"?), "pacing.limits" (did you mean "pacing.limit"?), "breaker.openMS" (did you mean "breaker.openMs"?), "cache.stor" (did you mean "cache.store"?)'),
    );
    expect(() => createClinicClient({ retry: { maxAttempts: 2 }, pacing: { limit: 5, windowMs: 1000 }, breaker: { openMs: 500 }, cache: {} })).not.toThrow();
  });

  it("refuses a time or size that is not a positive number, saying what it was", () => {
    expect(() => createClinicClient(untyped({ timeoutMs: "500" }))).toThrow(new TypeError('createClinicClient: timeoutMs must be a number, not a string ("500")'));
    expect(() => createClinicClient(untyped({ deadlineMs: Number.NaN }))).toThrow(new TypeError("createClinicClient: deadlineMs must be a number, not NaN"));
    expect(() => createClinicClient({ timeoutMs: -1 })).toThrow(new RangeError("createClinicClient: timeoutMs must be more than 0, not -1"));
    expect(() => createClinicClient({ maxResponseBytes: 0 })).toThrow(new RangeError("createClinicClient: maxResponseBytes must be more than 0, not 0"));
    expect(() => createClinicClient({ maxRedirects: 1.5 })).toThrow(new RangeError("createClinicClient: maxRedirects must be a whole number, 0 or more, not 1.5"));
    // Infinity lifts a time bound; no redirects is a choice.
    expect(() => createClinicClient({ timeoutMs: Infinity, maxRedirects: 0 })).not.toThrow();
  });
});

describe("a call's options, checked by name", () => {
  it("refuses the call, typed and before anything is sent, for a misspelt option or a bad time", async () => {
    const server = await startServer();
    try {
      const clinic = createClinicClient({ baseUrl: server.url, pacing: { limit: Infinity } });
      const misspelt = await clinic.getPatient({ params: { path: { patientId: "p1" } } }, untypedCall({ timeout: 5 }));
      expect(misspelt.error).toMatchObject({ kind: "invalid-request", message: 'getPatient: unknown call option "timeout" (did you mean "timeoutMs"?)' });
      const stringy = await clinic.getPatient({ params: { path: { patientId: "p1" } } }, untypedCall({ timeoutMs: "5" }));
      expect(stringy.error).toMatchObject({ kind: "invalid-request", message: 'getPatient: timeoutMs must be a number, not a string ("5")' });
      const nothing = await clinic.getPatient({ params: { path: { patientId: "p1" } } }, untypedCall(null));
      expect(nothing.error).toMatchObject({ kind: "invalid-request", message: "getPatient: the call options must be an object, not null" });
      expect(server.requests).toHaveLength(0);
      // A field like no option (a paging option passed along, an app's own) is left alone.
      server.handle((_req, res) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: "p1", identifier: "MRN-1", familyName: "F", givenName: "G", birthDate: "1980-01-01", gender: "female", active: true, updatedAt: "2030-01-15T10:24:00Z" })));
      expect((await clinic.getPatient({ params: { path: { patientId: "p1" } } }, untypedCall({ traceLabel: "intake" }))).error).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

/** Call options as JavaScript hands them over. */
function untypedCall(options: unknown): Parameters<ReturnType<typeof createClinicClient>["getPatient"]>[1] {
  return options as Parameters<ReturnType<typeof createClinicClient>["getPatient"]>[1];
}
