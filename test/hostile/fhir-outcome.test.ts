/**
 * Hostile FHIR servers against single calls (reads, writes, history, transactions): poisoned
 * OperationOutcomes, 2xx bodies of the wrong shape, `__proto__`/`constructor` elements,
 * deep nesting, and server text (PHI) that must stay out of error messages. Every call
 * resolves to `{ data, error, response, meta }` with a typed error; nothing rejects.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import type { Patient } from "fhir/r4.js";
import type { TestServer } from "../helpers/http-server.js";
import { byDeadline, expectNoSecrets, expectPrototypeClean, expectTyped, failure, recorder } from "./assertions.js";
import { FHIR_JSON, fhirClient, fhirJson, nested, raw, serverPool, type HostileClientOptions } from "./fhir-server.js";

const SECRET_TOKEN = "tok-OUTCOME-4b1e77c0-do-not-leak";
const API_KEY = "key-OUTCOME-9e107d9d372b-do-not-leak";
const SECRETS = { token: SECRET_TOKEN, apiKey: API_KEY };
/** A PHI-like marker the server puts in diagnostics, details, reason phrases and bodies. */
const PHI = "PHI-Hopper-Grace-MRN-77123-DOB-1906-12-09";
const DEADLINE_MS = 5_000;

const pool = serverPool();
afterAll(() => expectPrototypeClean());

const client = (server: TestServer, extra: HostileClientOptions = {}) => fhirClient(server.url, { headers: { authorization: `Bearer ${SECRET_TOKEN}`, "X-Api-Key": API_KEY }, deadlineMs: DEADLINE_MS, ...extra });

/** One call that must resolve (never reject) by its deadline, plus slack. */
const settleCall = <T>(promise: Promise<T>) => byDeadline(promise, DEADLINE_MS);

describe("poisoned OperationOutcomes: a typed result, never a rejection", () => {
  const POISON: Array<[string, string]> = [
    ["severity {toString: 0}", `{"resourceType":"OperationOutcome","issue":[{"severity":{"toString":0},"code":"invalid"}]}`],
    ["severity {valueOf: 0, toString: 0}", `{"resourceType":"OperationOutcome","issue":[{"severity":{"valueOf":0,"toString":0},"code":"invalid"}]}`],
    ["code {toString: 0}", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":{"toString":0}}]}`],
    ["code a number", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":42}]}`],
    ["code null", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":null}]}`],
    ["issue an object", `{"resourceType":"OperationOutcome","issue":{"severity":"error","code":"invalid"}}`],
    ["issue a string", `{"resourceType":"OperationOutcome","issue":"invalid"}`],
    ["issue null", `{"resourceType":"OperationOutcome","issue":null}`],
    ["issue [null, 1, \"x\"]", `{"resourceType":"OperationOutcome","issue":[null,1,"x"]}`],
    ["issue []", `{"resourceType":"OperationOutcome","issue":[]}`],
    ["details.text {toString: 0}", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":{"text":{"toString":0}},"diagnostics":{"toString":0}}]}`],
    ["details a string, expression an object", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":"x","expression":{"length":1e9}}]}`],
    ["__proto__ keys everywhere", `{"resourceType":"OperationOutcome","__proto__":{"polluted":"yes","issue":[]},"issue":[{"__proto__":{"code":"transient","polluted2":"yes"},"severity":"error","code":"invalid"}],"constructor":{"prototype":{"isAdmin":true}}}`],
    ["code __proto__ and constructor", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"__proto__"},{"severity":"error","code":"constructor"},{"severity":"fatal","code":"toString"}]}`],
    ["resourceType not a string", `{"resourceType":{"toString":0},"issue":[{"severity":"error","code":"invalid"}]}`],
    ["a 100,000-deep details", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":${nested(100_000, "object")}}]}`],
    ["a 100,000-deep issue list", `{"resourceType":"OperationOutcome","issue":${nested(100_000, "array", `{"severity":"error","code":"invalid"}`)}}`],
  ];

  it.each(POISON)("HTTP 400 with %s", async (_label, body) => {
    const server = await pool.start((_req, res) => raw(res, 400, FHIR_JSON, body));
    const events = recorder();
    const result = await settleCall(client(server, { onEvent: events.onEvent, logger: events.logger }).Patient.read("p1"));
    const error = failure(result, "fhir", "http");
    expect(error).toMatchObject({ status: 400 });
    expect(typeof error.message).toBe("string");
    expect(error.message.length).toBeLessThan(1_000);
    expectNoSecrets({ message: error.message, meta: result.meta, events: events.events }, SECRETS);
    expectPrototypeClean();
  }, 30_000);

  it.each(POISON)("HTTP 500 (retried) with %s", async (_label, body) => {
    const server = await pool.start((_req, res) => raw(res, 500, FHIR_JSON, body));
    const result = await settleCall(client(server).Patient.read("p1"));
    failure(result, "fhir", "http");
    expectPrototypeClean();
  }, 30_000);

  it("severity {toString: 0} on a write: still a typed FhirError naming the string code", async () => {
    const server = await pool.start((_req, res) => raw(res, 422, FHIR_JSON, `{"resourceType":"OperationOutcome","issue":[{"severity":{"toString":0},"code":"business-rule"}]}`));
    const result = await settleCall(client(server).Patient.create({ resourceType: "Patient" }));
    const error = failure(result, "fhir");
    expect(error.message).toMatch(/^FHIR 422: /);
    expect(error.message).toContain("business-rule");
  }, 30_000);
});

describe("FhirError and MalformedResponseError keep server text out of their messages", () => {
  it("FhirError: diagnostics, details.text, expression and the reason phrase are in the typed fields, not the message", async () => {
    const outcome = {
      resourceType: "OperationOutcome",
      issue: [
        { severity: "error", code: "invalid", diagnostics: `Patient ${PHI} failed validation`, details: { text: `${PHI} is not allowed` }, expression: [`Patient.name.where(text='${PHI}')`] },
        { severity: "warning", code: "informational", diagnostics: PHI },
      ],
    };
    const server = await pool.start((_req, res) => {
      res.writeHead(400, `Bad ${PHI}`, { "content-type": FHIR_JSON });
      res.end(JSON.stringify(outcome));
    });
    const events = recorder();
    const result = await settleCall(client(server, { onEvent: events.onEvent, logger: events.logger }).Patient.read("p1"));
    const error = failure(result, "fhir") as unknown as { message: string; codes: readonly string[]; issues: ReadonlyArray<{ diagnostics?: string; details?: { text?: string } }>; meta: unknown };
    expect(error.message).toMatch(/^FHIR 400: /);
    expect(error.message).toContain("invalid");
    expect(error.message).not.toContain(PHI);
    expect(error.codes).toEqual(["invalid", "informational"]);
    expect(error.issues[0]!.diagnostics).toContain(PHI);
    expect(error.issues[0]!.details?.text).toContain(PHI);
    expectNoSecrets({ meta: result.meta, events: events.events }, { phi: PHI, ...SECRETS });
  }, 30_000);

  it("FhirError: 1 MB of diagnostics stays in the issue, the message stays short", async () => {
    const diagnostics = `${PHI} ${"x".repeat(1024 * 1024)}`;
    const server = await pool.start((_req, res) => fhirJson(res, 409, { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "conflict", diagnostics }] }));
    const result = await settleCall(client(server).Patient.read("p1"));
    const error = failure(result, "fhir") as unknown as { message: string; issues: ReadonlyArray<{ diagnostics?: string }> };
    expect(error.message.length).toBeLessThan(500);
    expect(error.message).not.toContain(PHI);
    expect(error.issues[0]!.diagnostics).toHaveLength(diagnostics.length);
  }, 30_000);

  it.each([
    ["JSON cut short", FHIR_JSON, `{"resourceType":"Patient","id":"p1","name":[{"text":"${PHI}`],
    ["text where JSON is declared", FHIR_JSON, `${PHI}: record locked`],
    ["JSON with a trailing garbage", FHIR_JSON, `{"resourceType":"Patient","id":"p1"} ${PHI}`],
    ["unlabelled JSON-looking text", undefined, `{${PHI}`],
  ])("MalformedResponseError on a 200 read with %s: bodyPreview has the text, the message does not", async (_label, contentType, body) => {
    const server = await pool.start((_req, res) => raw(res, 200, contentType, body));
    const events = recorder();
    const result = await settleCall(client(server, { onEvent: events.onEvent, logger: events.logger }).Patient.read("p1"));
    const error = failure(result, "malformed-response", "contract-violation");
    expect(error.message).not.toContain(PHI);
    expect(error.message).not.toContain(PHI.slice(0, 10));
    if (error.kind === "malformed-response") expect((error as unknown as { bodyPreview: string }).bodyPreview).toContain(PHI.slice(0, 10));
    else expect(JSON.stringify((error as unknown as { data: unknown }).data)).toContain(PHI.slice(0, 10));
    expectNoSecrets({ meta: result.meta, events: events.events }, { phi: PHI, ...SECRETS });
  }, 30_000);

  it("an id with PHI appears in neither the message nor meta of a failed read", async () => {
    const server = await pool.start((_req, res) => raw(res, 503, "text/html", `<html>${PHI}</html>`, { "retry-after": "0" }));
    const events = recorder();
    const result = await settleCall(client(server, { onEvent: events.onEvent, logger: events.logger }).Patient.read(PHI));
    const error = failure(result);
    expect(server.requests[0]!.url).toBe(`/Patient/${PHI}`);
    expectNoSecrets({ message: error.message, meta: result.meta, events: events.events }, { phi: PHI, ...SECRETS });
  }, 30_000);
});

describe("2xx reads of the wrong shape: ContractViolationError keeping the body", () => {
  const WRONG: Array<[string, string | undefined, string, unknown]> = [
    ["an empty body", FHIR_JSON, "", undefined],
    ["an empty body without a content type", undefined, "", undefined],
    ["null", FHIR_JSON, "null", null],
    ["an array", FHIR_JSON, `[{"resourceType":"Patient","id":"p1"}]`, [{ resourceType: "Patient", id: "p1" }]],
    ["HTML", "text/html", `<html><body>Login required</body></html>`, `<html><body>Login required</body></html>`],
    ["plain text", "text/plain", "OK", "OK"],
    ["a JSON number", FHIR_JSON, "42", 42],
    ["a JSON string", FHIR_JSON, `"Patient"`, "Patient"],
    ["a Bundle instead of a Patient", FHIR_JSON, `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient","id":"p1"}}]}`, { resourceType: "Bundle", type: "searchset", entry: [{ resource: { resourceType: "Patient", id: "p1" } }] }],
    ["an Observation instead of a Patient", FHIR_JSON, `{"resourceType":"Observation","id":"p1","status":"final"}`, { resourceType: "Observation", id: "p1", status: "final" }],
    ["a Patient without id", FHIR_JSON, `{"resourceType":"Patient","name":[{"family":"Hopper"}]}`, { resourceType: "Patient", name: [{ family: "Hopper" }] }],
    ["a Patient whose id is empty", FHIR_JSON, `{"resourceType":"Patient","id":""}`, { resourceType: "Patient", id: "" }],
    ["a Patient whose id is a number", FHIR_JSON, `{"resourceType":"Patient","id":7}`, { resourceType: "Patient", id: 7 }],
    ["an object without resourceType", FHIR_JSON, `{"id":"p1","name":[{"family":"Hopper"}]}`, { id: "p1", name: [{ family: "Hopper" }] }],
    ["an OperationOutcome with 200", FHIR_JSON, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}`, { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-found" }] }],
  ];

  it.each(WRONG)("read answering 200 with %s", async (_label, contentType, body, kept) => {
    const server = await pool.start((_req, res) => raw(res, 200, contentType, body));
    const result = await settleCall(client(server).Patient.read("p1"));
    const error = failure(result, "contract-violation");
    expect(error).toMatchObject({ status: 200 });
    if (body !== "") expect((error as unknown as { data: unknown }).data).toEqual(kept);
    expect(result.meta.operationId).toBeTruthy();
  }, 30_000);

  it.each(WRONG.filter(([label]) => label !== "an empty body without a content type"))("vread answering 200 with %s", async (_label, contentType, body) => {
    const server = await pool.start((_req, res) => raw(res, 200, contentType, body));
    const result = await settleCall(client(server).Patient.vread("p1", "1"));
    failure(result, "contract-violation");
  }, 30_000);

  it("history and transaction answering 200 with a Patient, null or HTML: ContractViolationError", async () => {
    for (const [contentType, body] of [
      [FHIR_JSON, `{"resourceType":"Patient","id":"p1"}`],
      [FHIR_JSON, "null"],
      ["text/html", "<html></html>"],
    ] as const) {
      const server = await pool.start((_req, res) => raw(res, 200, contentType, body));
      failure(await settleCall(client(server).Patient.history("p1")), "contract-violation");
      failure(await settleCall(client(server).transaction({ resourceType: "Bundle", type: "transaction", entry: [] })), "contract-violation");
    }
  }, 30_000);

  it("a ContractViolationError's message names no server-chosen resourceType text", async () => {
    const server = await pool.start((_req, res) => fhirJson(res, 200, { resourceType: `Patient ${PHI}`, id: "p1" }));
    const result = await settleCall(client(server).Patient.read("p1"));
    const error = failure(result, "contract-violation");
    expect(error.message).not.toContain(PHI);
  }, 30_000);
});

describe("writes may answer with an empty body (the server ignored Prefer)", () => {
  const patient: Patient = { resourceType: "Patient", identifier: [{ system: "urn:mrn", value: "1" }] };

  it.each([
    ["create 201", 201],
    ["create 200", 200],
  ])("%s with an empty body stays a success", async (_label, status) => {
    const server = await pool.start((_req, res) => raw(res, status, FHIR_JSON, "", { location: "/Patient/p9/_history/1" }));
    const result = await settleCall(client(server).Patient.create(patient));
    expect(result.error).toBeUndefined();
    expect(result.data).toBeUndefined();
    expect(result.response?.status).toBe(status);
  }, 30_000);

  it("create 201 without any content type or body, update 200 and patch 200 with empty bodies: successes", async () => {
    const server = await pool.start((_req, res) => {
      res.writeHead(_req.method === "POST" ? 201 : 200);
      res.end();
    });
    const fhir = client(server);
    for (const result of [
      await settleCall(fhir.Patient.create(patient)),
      await settleCall(fhir.Patient.update({ ...patient, id: "p9" })),
      await settleCall(fhir.Patient.patch("p9", [{ op: "replace", path: "/active", value: true }])),
    ]) {
      expect(result.error).toBeUndefined();
      expect(result.data).toBeUndefined();
    }
  }, 30_000);
});

describe("__proto__ and constructor elements in a resource", () => {
  const BODY = `{"resourceType":"Patient","id":"p1","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted2":"yes"}},"name":[{"family":"Hopper","__proto__":{"isAdmin":true},"constructor":"x"}]}`;

  it("are kept, reported in meta.drift.unknownFields, and pollute nothing", async () => {
    const server = await pool.start((_req, res) => raw(res, 200, FHIR_JSON, BODY));
    const result = await settleCall(client(server).Patient.read("p1"));
    expect(result.error).toBeUndefined();
    expect(result.data?.id).toBe("p1");
    const unknown = result.meta.drift.unknownFields;
    expect(unknown.some((f) => f.includes("__proto__") && !f.includes("name"))).toBe(true);
    expect(unknown.some((f) => f.includes("constructor") && !f.includes("name"))).toBe(true);
    expect(unknown.some((f) => f.includes("name") && f.includes("__proto__"))).toBe(true);
    expect(unknown.some((f) => f.includes("name") && f.includes("constructor"))).toBe(true);
    expectPrototypeClean();
  }, 30_000);

  it("other Object.prototype names (toString, hasOwnProperty, valueOf) are unknown elements too", async () => {
    const server = await pool.start((_req, res) => raw(res, 200, FHIR_JSON, `{"resourceType":"Patient","id":"p1","toString":1,"hasOwnProperty":{"x":1},"valueOf":"v"}`));
    const result = await settleCall(client(server).Patient.read("p1"));
    expect(result.error).toBeUndefined();
    expect(result.meta.drift.unknownFields).toEqual(expect.arrayContaining([expect.stringContaining("toString"), expect.stringContaining("hasOwnProperty"), expect.stringContaining("valueOf")]));
    expectPrototypeClean();
  }, 30_000);

  it("in strict mode: a typed result (a ContractViolationError or data), never a rejection", async () => {
    const server = await pool.start((_req, res) => raw(res, 200, FHIR_JSON, BODY));
    const result = await settleCall(client(server, { strict: true }).Patient.read("p1"));
    if (result.error) expectTyped(result.error, "contract-violation");
    expectPrototypeClean();
  }, 30_000);
});

describe("deep nesting", () => {
  it.each([
    ["tolerant", false],
    ["strict", true],
  ])("a Patient with an extension nested 100,000 deep (%s): a typed result", async (_label, strict) => {
    const server = await pool.start((_req, res) => raw(res, 200, FHIR_JSON, `{"resourceType":"Patient","id":"p1","extension":[{"url":"urn:x","extension":${nested(100_000, "array")}}],"deep":${nested(100_000, "object")}}`));
    const result = await settleCall(client(server, { strict }).Patient.read("p1"));
    if (result.error) expectTyped(result.error, "contract-violation", "malformed-response");
    else expect(result.data.id).toBe("p1");
  }, 30_000);

  it("a body that is only nesting, 100,000 deep: ContractViolationError or MalformedResponseError", async () => {
    for (const shape of ["object", "array"] as const) {
      const server = await pool.start((_req, res) => raw(res, 200, FHIR_JSON, nested(100_000, shape)));
      failure(await settleCall(client(server).Patient.read("p1")), "contract-violation", "malformed-response");
      failure(await settleCall(client(server).Patient.search()), "contract-violation", "malformed-response");
    }
  }, 30_000);
});
