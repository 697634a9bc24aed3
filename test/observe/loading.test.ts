/**
 * How a client finds `@opentelemetry/api`: not at all when the option is false, the api it
 * is given, else the one Node's require finds next to carewire, looked up once per process
 * and only once an app has registered something with OpenTelemetry.
 */
import { describe, expect, it } from "@jest/globals";
import * as api from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { loadOpenTelemetryOnce, requireOpenTelemetryApi, resolveOpenTelemetry, somethingRegistered, type OpenTelemetryApi } from "../../src/runtime/observe/open-telemetry.js";

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
    expect(resolveOpenTelemetry({ api }, loader.load)?.()).toBe(api);
    expect(loader.calls()).toBe(0);
  });

  it("loads the api only once something is registered, and wires nothing when it is missing", () => {
    let registered = false;
    const loader = countingLoader(api);
    const source = resolveOpenTelemetry(undefined, loader.load, () => registered);
    expect(source?.()).toBeUndefined();
    expect(loader.calls()).toBe(0);
    registered = true;
    expect(source?.()).toBe(api);
    expect(resolveOpenTelemetry({}, countingLoader(undefined).load, () => true)?.()).toBeUndefined();
  });

  it("loads the api for providers given to the client, registered globally or not", () => {
    const loader = countingLoader(api);
    expect(resolveOpenTelemetry({ tracerProvider: new BasicTracerProvider() }, loader.load, () => false)?.()).toBe(api);
    expect(loader.calls()).toBe(1);
  });

  it("sees a registration through the api's global registry, and its absence", () => {
    const key = Symbol.for("opentelemetry.js.api.1");
    const registry = globalThis as Record<symbol, unknown>;
    const saved = registry[key];
    try {
      delete registry[key];
      expect(somethingRegistered()).toBe(false);
      api.trace.setGlobalTracerProvider(new BasicTracerProvider());
      expect(somethingRegistered()).toBe(true);
    } finally {
      api.trace.disable();
      registry[key] = saved;
    }
  });

  it("finds the installed api through require, once per process", () => {
    const found = requireOpenTelemetryApi();
    expect(typeof found?.trace.getTracerProvider).toBe("function");
    expect(typeof found?.metrics.getMeterProvider).toBe("function");
    expect(loadOpenTelemetryOnce()).toBe(loadOpenTelemetryOnce());
    expect(loadOpenTelemetryOnce()).toBeDefined();
  });
});
