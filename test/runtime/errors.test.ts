/** The error classes a caller can `instanceof`: one factory maps a status to its class; `kind` stays stable. */
import { describe, expect, it } from "@jest/globals";
import {
  BadGatewayError,
  ClientError,
  ConflictError,
  createPipeline,
  HttpError,
  NotFoundError,
  PreconditionFailedError,
  ServerError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
} from "carewire";
import { FhirError } from "carewire/fhir";
import { json, startServer } from "../helpers/http-server.js";
import { testOperation } from "../helpers/operation.js";

const response = (status: number) => new Response(null, { status });

describe("HttpError.from", () => {
  it.each([
    [401, UnauthorizedError, ClientError],
    [404, NotFoundError, ClientError],
    [409, ConflictError, ClientError],
    [412, PreconditionFailedError, ClientError],
    [429, TooManyRequestsError, ClientError],
    [502, BadGatewayError, ServerError],
    [503, ServiceUnavailableError, ServerError],
  ])("gives a %i its own class, in its family, with kind http", (status, Class, Family) => {
    const error = HttpError.from(status, { title: "x" }, response(status));
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(Family);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ kind: "http", status, body: { title: "x" } });
    expect(error.name).toBe(Class.name);
  });

  it("falls back to the family for statuses without a class of their own", () => {
    expect(HttpError.from(418, undefined, response(418))).toBeInstanceOf(ClientError);
    expect(HttpError.from(507, undefined, response(507))).toBeInstanceOf(ServerError);
  });

  it("makes a FhirError an HttpError carrying the OperationOutcome, with kind fhir", () => {
    const outcome = { resourceType: "OperationOutcome" as const, issue: [{ severity: "error" as const, code: "not-found" as const, diagnostics: "Patient MRN-1 is gone" }] };
    const error = new FhirError(404, outcome, response(404));
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ kind: "fhir", status: 404, outcome, body: outcome, codes: ["not-found"] });
    expect(error.message).toBe("FHIR 404: error not-found");
  });

  it("is what a call returns for an error status", async () => {
    const server = await startServer((_req, res) => json(res, 404, { title: "no such thing" }));
    try {
      const pipeline = createPipeline({ provider: "acme", baseUrl: server.url, resilience: false });
      const result = await pipeline.call(testOperation(), { responses: {} }, { params: { path: { thingId: "t1" } } });
      expect(result.error).toBeInstanceOf(NotFoundError);
      expect(result.error).toMatchObject({ kind: "http", status: 404, body: { title: "no such thing" } });
    } finally {
      await server.close();
    }
  });

  it("writes its name, kind and message to JSON, with its own fields, meta and the cause's message", async () => {
    const server = await startServer((_req, res) => json(res, 404, { title: "no such thing" }));
    try {
      const pipeline = createPipeline({ provider: "acme", baseUrl: server.url, resilience: false });
      const result = await pipeline.call(testOperation(), { responses: {} }, { params: { path: { thingId: "t1" } } });
      const logged = JSON.parse(JSON.stringify(result.error)) as Record<string, unknown>;
      expect(logged).toMatchObject({ name: "NotFoundError", kind: "http", message: "HTTP 404 Not Found (getThing: GET /things/{thingId})", status: 404, body: { title: "no such thing" } });
      expect(logged.meta).toMatchObject({ provider: "acme", operationId: "getThing", requestId: result.meta.requestId });
    } finally {
      await server.close();
    }
    const refused = await createPipeline({ provider: "acme", baseUrl: "http://127.0.0.1:1", resilience: false }).call(testOperation(), { responses: {} }, { params: { path: { thingId: "t1" } } });
    const line = JSON.stringify(refused.error);
    expect(JSON.parse(line)).toMatchObject({ name: "InvalidRequestError", kind: "invalid-request", cause: { name: "TypeError" } });
    // One line, no stack.
    expect(line).not.toContain("\n    at ");
  });
});
