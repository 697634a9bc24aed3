/**
 * How a client finds `@opentelemetry/api`: not at all when the option is false, the api it
 * is given, else the one Node's require finds next to carewire, looked up once per process.
 */
import { describe, expect, it } from "@jest/globals";
import * as api from "@opentelemetry/api";
import { loadOpenTelemetryOnce, requireOpenTelemetryApi, resolveOpenTelemetry, type OpenTelemetryApi } from "../../src/runtime/observe/open-telemetry.js";

/** A loader that counts how often it is asked. */
function countingLoader(answer: OpenTelemetryApi | undefined) {
  let calls = 0;
  return {
    load: () => {
      calls++;
      return answer;
    },
    calls: () => calls,
  };
}

describe("finding the OpenTelemetry api", () => {
  it("loads nothing when the option is false", () => {
    const loader = countingLoader(api);
    expect(resolveOpenTelemetry(false, loader.load)).toBeUndefined();
    expect(loader.calls()).toBe(0);
  });

  it("uses the api it is given without loading one", () => {
    const loader = countingLoader(undefined);
    expect(resolveOpenTelemetry({ api }, loader.load)).toBe(api);
    expect(loader.calls()).toBe(0);
  });

  it("loads the api when no option says otherwise, and wires nothing when it is missing", () => {
    expect(resolveOpenTelemetry(undefined, countingLoader(api).load)).toBe(api);
    expect(resolveOpenTelemetry({}, countingLoader(undefined).load)).toBeUndefined();
  });

  it("finds the installed api through require, once per process", () => {
    const found = requireOpenTelemetryApi();
    expect(typeof found?.trace.getTracerProvider).toBe("function");
    expect(typeof found?.metrics.getMeterProvider).toBe("function");
    expect(loadOpenTelemetryOnce()).toBe(loadOpenTelemetryOnce());
    expect(loadOpenTelemetryOnce()).toBeDefined();
  });
});
