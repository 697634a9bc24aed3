/**
 * `buildRegistry(doc, file)`: one descriptor per operation with deterministic names,
 * merged parameters, safety class, responses, security and inherited policy hints.
 * Small inline documents, so every expectation traces back to a line of the input.
 */
import { describe, expect, it } from "@jest/globals";
import type { OperationDescriptor } from "carewire";
import { buildRegistry, type RegistryEntry } from "../../src/codegen/build-registry.js";
import type { JsonObject } from "../../src/codegen/json.js";
import { SpecError } from "../../src/codegen/spec-error.js";
import { specErrorOf } from "../helpers/errors.js";

const FILE = "specs/test/openapi.yaml";
const OK = { "200": { description: "ok" } };

function spec(paths: JsonObject, extra: JsonObject = {}): JsonObject {
  return { openapi: "3.0.3", info: { title: "test", version: "1" }, paths, ...extra };
}

function descriptors(doc: JsonObject): OperationDescriptor[] {
  return buildRegistry(doc, FILE).map((e: RegistryEntry) => e.descriptor);
}

function only(doc: JsonObject): OperationDescriptor {
  const all = descriptors(doc);
  expect(all).toHaveLength(1);
  return all[0]!;
}

function byPath(all: OperationDescriptor[], method: string, path: string): OperationDescriptor {
  const found = all.find((d) => d.method === method && d.path === path);
  if (found === undefined) throw new Error(`no ${method} ${path} in registry`);
  return found;
}


const idParam = { name: "id", in: "path", required: true, schema: { type: "string" } };

describe("buildRegistry: operation ids and names", () => {
  it("synthesises a missing operationId from method and path: GET /patients/{id}/notes → getPatientsByIdNotes", () => {
    const d = only(spec({ "/patients/{id}/notes": { get: { parameters: [idParam], responses: OK } } }));
    expect(d.operationId).toBe("getPatientsByIdNotes");
    expect(d.name).toBe("getPatientsByIdNotes");
    expect(d.synthesizedId).toBe(true);
  });

  it("synthesises ids deterministically: the same document gives the same registry every time", () => {
    const doc = spec({
      "/patients/{patient_id}/appointments": {
        parameters: [{ name: "patient_id", in: "path", required: true }],
        get: { responses: OK },
        post: { responses: OK },
      },
      "/": { get: { responses: OK } },
      "/oauth-token": { post: { responses: OK } },
    });
    const first = descriptors(doc);
    const second = descriptors(doc);
    expect(second).toEqual(first);
    expect(first.map((d) => d.operationId)).toEqual([
      "getPatientsByPatientIdAppointments",
      "postPatientsByPatientIdAppointments",
      "getRoot",
      "postOauthToken",
    ]);
    expect(first.every((d) => d.synthesizedId)).toBe(true);
  });

  it("lists operations in document order, methods within a path item in HTTP_METHODS order", () => {
    const all = descriptors(
      spec({
        "/b": { post: { responses: OK }, get: { responses: OK } },
        "/a": { delete: { responses: OK } },
      }),
    );
    expect(all.map((d) => `${d.method} ${d.path}`)).toEqual(["get /b", "post /b", "delete /a"]);
  });

  it("gives an explicit operationId its name even when a synthesised id that wants the same name comes first", () => {
    const all = descriptors(
      spec({
        "/patients": { get: { responses: OK } }, // would synthesise "getPatients"
        "/people": { get: { operationId: "getPatients", responses: OK } },
      }),
    );
    const explicit = byPath(all, "get", "/people");
    const synthesised = byPath(all, "get", "/patients");
    expect(explicit).toMatchObject({ operationId: "getPatients", name: "getPatients", synthesizedId: false });
    expect(synthesised).toMatchObject({ operationId: "getPatients2", name: "getPatients2", synthesizedId: true });
  });

  it("turns a non-identifier operationId into a valid camelCase function name and keeps the original as operationId", () => {
    const all = descriptors(
      spec({
        "/repos/{owner}/{repo}/contents/{path}": {
          get: {
            operationId: "repos/get-content",
            parameters: ["owner", "repo", "path"].map((name) => ({ name, in: "path", required: true })),
            responses: OK,
          },
        },
        "/things": { delete: { operationId: "delete", responses: OK } },
        "/2fa": { post: { operationId: "2fa-verify", responses: OK } },
        "/camel": { get: { operationId: "listAllThings", responses: OK } },
      }),
    );
    expect(all.map((d) => [d.operationId, d.name, d.synthesizedId])).toEqual([
      ["repos/get-content", "reposGetContent", false],
      ["delete", "deleteOp", false],
      ["2fa-verify", "op2faVerify", false],
      ["listAllThings", "listAllThings", false],
    ]);
    for (const d of all) expect(d.name).toMatch(/^[A-Za-z_$][A-Za-z0-9_$]*$/);
  });

  it("de-duplicates function names when two explicit ids camelCase to the same identifier", () => {
    const all = descriptors(
      spec({
        "/a": { get: { operationId: "repos/get", responses: OK } },
        "/b": { get: { operationId: "repos-get", responses: OK } },
      }),
    );
    expect(all.map((d) => [d.operationId, d.name])).toEqual([
      ["repos/get", "reposGet"],
      ["repos-get", "reposGet2"],
    ]);
  });

  it("rejects a duplicate operationId with a SpecError at the second occurrence", () => {
    const error = specErrorOf(() =>
      buildRegistry(
        spec({
          "/a": { get: { operationId: "getThing", responses: OK } },
          "/b": { get: { operationId: "getThing", responses: OK } },
        }),
        FILE,
      ),
    );
    expect(error.kind).toBe("spec-invalid");
    expect(error.where.pointer).toBe("/paths/~1b/get/operationId");
    expect(error.message).toBe(`${FILE}#/paths/~1b/get/operationId: duplicate operationId "getThing" (first used at /paths/~1a/get)`);
  });

  it("returns an empty registry for a document without paths", () => {
    expect(buildRegistry({ openapi: "3.1.0", info: { title: "t", version: "1" } }, FILE)).toEqual([]);
  });
});

describe("buildRegistry: method safety classes", () => {
  it("classes all 8 methods per RFC 9110: the reads are safe, PUT and DELETE idempotent, POST and PATCH neither", () => {
    const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
    const item: JsonObject = {};
    for (const m of methods) item[m] = { responses: OK };
    const all = descriptors(spec({ "/things": item }));
    const methodsOf = (safety: OperationDescriptor["safety"]) => all.filter((d) => d.safety === safety).map((d) => d.method.toUpperCase()).sort();
    expect(all).toHaveLength(methods.length);
    expect(methodsOf("safe")).toEqual(["GET", "HEAD", "OPTIONS", "TRACE"]);
    expect(methodsOf("idempotent")).toEqual(["DELETE", "PUT"]);
    expect(methodsOf("unsafe")).toEqual(["PATCH", "POST"]);
  });

  it("ignores path-item keys that are not HTTP methods (summary, servers, x- extensions)", () => {
    const all = descriptors(
      spec({ "/things": { summary: "things", servers: [], "x-internal": { get: {} }, get: { responses: OK } } }),
    );
    expect(all.map((d) => d.method)).toEqual(["get"]);
  });
});

describe("buildRegistry: parameters", () => {
  it("merges path-level and operation-level parameters, the operation overriding by name + location", () => {
    const d = only(
      spec({
        "/things/{id}": {
          parameters: [
            idParam,
            { name: "limit", in: "query", required: false, style: "form" },
            { name: "trace", in: "header", required: true },
          ],
          get: {
            parameters: [
              { name: "limit", in: "query", required: true, explode: false }, // overrides the path-level one
              { name: "limit", in: "header" }, // same name, other location: a separate parameter
              { name: "session", in: "cookie", required: true },
            ],
            responses: OK,
          },
        },
      }),
    );
    expect(d.parameters).toEqual({
      path: [{ name: "id", required: true }],
      query: [{ name: "limit", required: true, explode: false }],
      header: [
        { name: "trace", required: true },
        { name: "limit", required: false },
      ],
      cookie: [{ name: "session", required: true }],
    });
  });

  it("makes path parameters required whatever the document says", () => {
    const d = only(
      spec({
        "/a/{x}/{y}/{z}": {
          get: {
            parameters: [
              { name: "x", in: "path" },
              { name: "y", in: "path", required: false },
              { name: "z", in: "path", required: true },
            ],
            responses: OK,
          },
        },
      }),
    );
    expect(d.parameters.path).toEqual([
      { name: "x", required: true },
      { name: "y", required: true },
      { name: "z", required: true },
    ]);
  });

  it("resolves $ref parameters at path and operation level, and an inline one still overrides a referenced one", () => {
    const d = only(
      spec(
        {
          "/things/{thingId}": {
            parameters: [{ $ref: "#/components/parameters/ThingId" }, { $ref: "#/components/parameters/PageSize" }],
            get: {
              parameters: [{ $ref: "#/components/parameters/Cursor" }, { name: "pageSize", in: "query", required: true }],
              responses: OK,
            },
          },
        },
        {
          components: {
            parameters: {
              ThingId: { name: "thingId", in: "path", required: true },
              PageSize: { name: "pageSize", in: "query", style: "form", explode: true },
              Cursor: { $ref: "#/components/parameters/RealCursor" }, // a ref to a ref
              RealCursor: { name: "cursor", in: "query", required: false, style: "deepObject" },
            },
          },
        },
      ),
    );
    expect(d.parameters.path).toEqual([{ name: "thingId", required: true }]);
    expect(d.parameters.query).toEqual([
      { name: "pageSize", required: true },
      { name: "cursor", required: false, style: "deepObject" },
    ]);
  });

  it("throws a SpecError at the path item when the template has a {param} no parameter declares", () => {
    const error = specErrorOf(() =>
      buildRegistry(spec({ "/patients/{id}/notes": { get: { parameters: [], responses: OK } } }), FILE),
    );
    expect(error).toBeInstanceOf(SpecError);
    expect(error.kind).toBe("spec-invalid");
    expect(error.file).toBe(FILE);
    expect(error.where.pointer).toBe("/paths/~1patients~1{id}~1notes");
    expect(error.message).toBe(
      `${FILE}#/paths/~1patients~1{id}~1notes: path template "/patients/{id}/notes" has {id} but no path parameter declares it`,
    );
  });

  it("counts a declaration under another location as missing: a query `id` does not fill {id}", () => {
    const error = specErrorOf(() =>
      buildRegistry(spec({ "/things/{id}": { get: { parameters: [{ name: "id", in: "query" }], responses: OK } } }), FILE),
    );
    expect(error.where.pointer).toBe("/paths/~1things~1{id}");
  });

  it("throws a SpecError at the parameter when a path parameter is not in the template (operation and path level)", () => {
    const atOperation = specErrorOf(() =>
      buildRegistry(spec({ "/things": { get: { parameters: [{ name: "thingId", in: "path" }], responses: OK } } }), FILE),
    );
    expect(atOperation.where.pointer).toBe("/paths/~1things/get/parameters/0");
    expect(atOperation.reason).toBe('path parameter "thingId" is not in the path template "/things"');

    const atPathItem = specErrorOf(() =>
      buildRegistry(
        spec({ "/things": { parameters: [{ name: "q", in: "query" }, { name: "thingId", in: "path" }], get: { responses: OK } } }),
        FILE,
      ),
    );
    expect(atPathItem.where.pointer).toBe("/paths/~1things/parameters/1");
  });

  it("rejects an unknown parameter location and a parameter without name/in, pointing at them", () => {
    const badIn = specErrorOf(() =>
      buildRegistry(spec({ "/x": { get: { parameters: [{ name: "a", in: "body" }], responses: OK } } }), FILE),
    );
    expect(badIn.where.pointer).toBe("/paths/~1x/get/parameters/0/in");
    const noName = specErrorOf(() =>
      buildRegistry(spec({ "/x": { get: { parameters: [{ name: "a", in: "query" }, { in: "query" }], responses: OK } } }), FILE),
    );
    expect(noName.where.pointer).toBe("/paths/~1x/get/parameters/1");
  });
});

describe("buildRegistry: responses and request bodies", () => {
  it("keys responses as in the spec, normalising 2xx → 2XX, keeping default and skipping x- extensions", () => {
    const d = only(
      spec({
        "/things": {
          get: {
            responses: {
              "200": { description: "ok", content: { "application/fhir+json": {}, "application/json": {} } },
              "2xx": { description: "other success" },
              "4xx": { description: "client error", content: { "application/problem+json": {} } },
              "5XX": { description: "server error" },
              default: { description: "anything else", content: { "text/plain": {} } },
              "x-internal": { description: "not a status" },
            },
          },
        },
      }),
    );
    expect(d.responses).toEqual({
      "200": { contentTypes: ["application/fhir+json", "application/json"], headers: [] },
      "2XX": { contentTypes: [], headers: [] },
      "4XX": { contentTypes: ["application/problem+json"], headers: [] },
      "5XX": { contentTypes: [], headers: [] },
      default: { contentTypes: ["text/plain"], headers: [] },
    });
  });

  it("lower-cases response header names and resolves $ref responses", () => {
    const d = only(
      spec(
        {
          "/things": {
            get: {
              responses: {
                "200": {
                  description: "ok",
                  headers: { "X-Request-Id": { schema: { type: "string" } }, ETag: { schema: { type: "string" } } },
                  content: { "application/json": {} },
                },
                "429": { $ref: "#/components/responses/TooMany" },
              },
            },
          },
        },
        {
          components: {
            responses: {
              TooMany: { description: "slow down", headers: { "Retry-After": {}, "RateLimit-Remaining": {} } },
            },
          },
        },
      ),
    );
    expect(d.responses["200"]).toEqual({ contentTypes: ["application/json"], headers: ["x-request-id", "etag"] });
    expect(d.responses["429"]).toEqual({ contentTypes: [], headers: ["retry-after", "ratelimit-remaining"] });
  });

  it("records request body content types in document order and whether the body is required", () => {
    const all = descriptors(
      spec(
        {
          "/required": {
            post: {
              requestBody: { required: true, content: { "application/fhir+json": {}, "application/x-www-form-urlencoded": {} } },
              responses: OK,
            },
          },
          "/optional": { put: { requestBody: { content: { "application/json": {} } }, responses: OK } },
          "/referenced": { patch: { requestBody: { $ref: "#/components/requestBodies/Patch" }, responses: OK } },
          "/none": { get: { responses: OK } },
        },
        { components: { requestBodies: { Patch: { required: true, content: { "application/merge-patch+json": {} } } } } },
      ),
    );
    expect(byPath(all, "post", "/required").requestBody).toEqual({
      required: true,
      contentTypes: ["application/fhir+json", "application/x-www-form-urlencoded"],
    });
    expect(byPath(all, "put", "/optional").requestBody).toEqual({ required: false, contentTypes: ["application/json"] });
    expect(byPath(all, "patch", "/referenced").requestBody).toEqual({
      required: true,
      contentTypes: ["application/merge-patch+json"],
    });
    expect("requestBody" in byPath(all, "get", "/none")).toBe(false);
  });

  it("carries summary (trimmed), string tags and deprecated", () => {
    const d = only(
      spec({ "/x": { get: { summary: "  List things \n", tags: ["things", 3, "admin"], deprecated: true, responses: OK } } }),
    );
    expect(d).toMatchObject({ summary: "List things", tags: ["things", "admin"], deprecated: true });
    const plain = only(spec({ "/x": { get: { responses: OK } } }));
    expect(plain).toMatchObject({ tags: [], deprecated: false });
    expect("summary" in plain).toBe(false);
  });
});

describe("buildRegistry: security", () => {
  const paths = {
    "/inherits": { get: { responses: OK } },
    "/anonymous": { get: { security: [], responses: OK } },
    "/optional-auth": { get: { security: [{}, { oauth: [] }], responses: OK } },
    "/own-scheme": { get: { security: [{ apiKey: [] }], responses: OK } },
  };

  it("treats root security as required, `security: []` and a `{}` alternative as none", () => {
    const all = descriptors(spec(paths, { security: [{ oauth: ["read"] }] }));
    expect(Object.fromEntries(all.map((d) => [d.path, d.security]))).toEqual({
      "/inherits": "required",
      "/anonymous": "none",
      "/optional-auth": "none",
      "/own-scheme": "required",
    });
  });

  it("treats an operation as anonymous when neither it nor the root declares security (or the root list is empty, or has a `{}` alternative)", () => {
    for (const extra of [{}, { security: [] }, { security: [{}, { oauth: [] }] }]) {
      const all = descriptors(spec(paths, extra));
      expect(byPath(all, "get", "/inherits").security).toBe("none");
      expect(byPath(all, "get", "/own-scheme").security).toBe("required");
    }
  });
});

describe("buildRegistry: policy hints", () => {
  const rootRate = { limit: 120, windowSeconds: 60, scope: "client_id", algorithm: "sliding-window" };

  it("inherits the root x-carewire-rate-limit and merges an operation's { bucket: token } into it", () => {
    const all = descriptors(
      spec(
        {
          "/patients": { get: { responses: OK } },
          "/oauth/token": { post: { "x-carewire-rate-limit": { bucket: "token" }, responses: OK } },
          "/bulk": { get: { "x-carewire-rate-limit": { limit: 10, scope: "tenant" }, responses: OK } },
        },
        { "x-carewire-rate-limit": rootRate },
      ),
    );
    expect(byPath(all, "get", "/patients").hints).toEqual({ rateLimit: rootRate });
    expect(byPath(all, "post", "/oauth/token").hints).toEqual({ rateLimit: { ...rootRate, bucket: "token" } });
    expect(byPath(all, "get", "/bulk").hints).toEqual({ rateLimit: { ...rootRate, limit: 10, scope: "tenant" } });
  });

  it("carries the other hints of an operation and gives no hints when there are none", () => {
    const all = descriptors(
      spec({
        "/book": {
          post: {
            "x-carewire-idempotency": true,
            "x-carewire-criticality": "critical",
            responses: OK,
          },
          get: { "x-carewire-cache": { policy: "max-age", maxAgeSeconds: 30 }, responses: OK },
        },
        "/plain": { get: { responses: OK } },
      }),
    );
    expect(byPath(all, "post", "/book").hints).toEqual({
      idempotency: { header: "Idempotency-Key", required: false },
      criticality: "critical",
    });
    expect(byPath(all, "get", "/book").hints).toEqual({ cache: { policy: "max-age", maxAgeSeconds: 30 } });
    expect(byPath(all, "get", "/plain").hints).toEqual({});
  });

  it("marks GET and HEAD cacheable unless the spec says no-store, and never a write or another method", () => {
    const all = descriptors(
      spec({
        "/open": { get: { responses: OK }, head: { responses: OK }, options: { responses: OK }, put: { responses: OK }, post: { responses: OK } },
        "/kept": {
          get: { "x-carewire-cache": { policy: "max-age", maxAgeSeconds: 30 }, responses: OK },
          // A cache hint on a write does not make the write cacheable.
          post: { "x-carewire-cache": { policy: "revalidate" }, responses: OK },
        },
        "/private": { get: { "x-carewire-cache": { policy: "no-store" }, responses: OK }, head: { "x-carewire-cache": { policy: "no-store" }, responses: OK } },
      }),
    );
    const cacheable = all.filter((d) => d.cacheable === true).map((d) => `${d.method} ${d.path}`);
    expect(cacheable).toEqual(["get /open", "head /open", "get /kept"]);
    // Every generated descriptor says so explicitly: the runtime never has to guess.
    expect(all.every((d) => typeof d.cacheable === "boolean")).toBe(true);
  });

  it("reports a bad hint with a pointer that escapes the path key", () => {
    const root = specErrorOf(() => buildRegistry(spec({}, { "x-carewire-rate-limit": { limit: 0 } }), FILE));
    expect(root.where.pointer).toBe("/x-carewire-rate-limit/limit");
    const op = specErrorOf(() =>
      buildRegistry(spec({ "/a/b": { get: { "x-carewire-criticality": "urgent", responses: OK } } }), FILE),
    );
    expect(op.where.pointer).toBe("/paths/~1a~1b/get/x-carewire-criticality");
  });
});

describe("an idempotency key the operation declares as a header parameter", () => {
  const keyed = (param: JsonObject, extra: JsonObject = {}) => only(spec({ "/orders": { post: { parameters: [param], responses: OK, ...extra } } })).hints.idempotency;

  it("reads as x-carewire-idempotency with that header (its own $ref resolved too)", () => {
    expect(keyed({ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string" } })).toEqual({ header: "Idempotency-Key", required: false });
    expect(keyed({ name: "x-idempotency-key", in: "header", required: true, schema: { type: "string" } })).toEqual({ header: "x-idempotency-key", required: true });
    const viaRef = spec(
      { "/orders": { post: { parameters: [{ $ref: "#/components/parameters/Key" }], responses: OK } } },
      { components: { parameters: { Key: { name: "Idempotency-Key", in: "header", schema: { type: "string" } } } } },
    );
    expect(only(viaRef).hints.idempotency).toEqual({ header: "Idempotency-Key", required: false });
  });

  it("gives way to the hint, and is not read from a query parameter or another header", () => {
    expect(keyed({ name: "Idempotency-Key", in: "header", schema: { type: "string" } }, { "x-carewire-idempotency": false })).toEqual({ header: "Idempotency-Key", required: false, automatic: false });
    expect(keyed({ name: "Idempotency-Key", in: "query", schema: { type: "string" } })).toBeUndefined();
    expect(keyed({ name: "X-Request-Id", in: "header", schema: { type: "string" } })).toBeUndefined();
  });
});
