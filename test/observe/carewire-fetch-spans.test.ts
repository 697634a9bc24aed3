/**
 * Requests passed through `carewireFetch` carry their literal path (ids and all) to the
 * wire; telemetry shows the path's template instead, the registry's or one with the ids
 * replaced, so no patient id reaches a span name, `url.template` or a metric label.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import * as api from "@opentelemetry/api";
import { carewireFetch } from "../../src/index.js";
import { operations } from "../../generated/clinic/index.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";
import { recordInMemory, spanJson, type Recorded } from "./support.js";

let server: TestServer | undefined;
let recorded: Recorded | undefined;

afterEach(async () => {
  await server?.close();
  await recorded?.shutdown();
  server = recorded = undefined;
});

describe("carewireFetch under OpenTelemetry", () => {
  it.each([
    ["a request the registry knows", { operations }, "/patients/pat-PHI-4711", "GET /patients/{patientId}"],
    ["a request it does not", {}, "/things/8c0a7e1c-1d2e-4f5a-9b8c-123456789abc/parts/98765", "GET /things/{id}/parts/{id}"],
  ])("names %s by its template, never its ids", async (_label, registry, path, expected) => {
    server = await startServer((_req, res) => json(res, 200, { id: "x" }));
    recorded = recordInMemory();
    const fetchThrough = carewireFetch({ ...registry, openTelemetry: { api, tracerProvider: recorded.tracerProvider, meterProvider: recorded.meterProvider } });

    expect((await fetchThrough(`${server.url}${path}`)).status).toBe(200);

    const attempt = recorded.spans().find((s) => s.kind === api.SpanKind.CLIENT)!;
    expect(attempt.name).toBe(expected);
    expect(attempt.attributes["url.template"]).toBe(expected.slice(4));
    const id = path.split("/")[2]!;
    for (const span of recorded.spans()) expect(spanJson(span)).not.toContain(id);
    expect(await recorded.metricsJson()).not.toContain(id);
  });
});
