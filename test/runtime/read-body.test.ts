/**
 * How a response body is read: by its label first; JSON a server mislabelled (`*\/*`,
 * `application/octet-stream`) is still read as JSON where the spec gives the status a schema.
 */
import { describe, expect, it } from "@jest/globals";
import type { OperationSchemas } from "carewire";
import { readBody } from "../../src/runtime/wire/read-body.js";

const page = { type: "object", properties: { data: { type: "array", items: { type: "object", properties: { id: { type: "string" } } } }, total: { type: "integer" } } } as const;
const withSchema: OperationSchemas = { responses: { "200": page } };
const withoutSchema: OperationSchemas = { responses: {} };

function exchange(body: string | Uint8Array, contentType: string | undefined, status = 200) {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const headers: Record<string, string> = contentType === undefined ? {} : { "content-type": contentType };
  return { request: new Request("http://127.0.0.1/things"), response: new Response(null, { status, headers }), body: bytes };
}

const json = JSON.stringify({ data: [{ id: "a" }, { id: "b" }], total: 2 });

describe("reading a response body", () => {
  it.each(["*/*", "application/octet-stream", "application/x-unknown", undefined])("reads JSON labelled %s as JSON where the spec has a schema for the status", (label) => {
    const read = readBody(exchange(json, label), withSchema, "get");
    expect(read.value).toEqual({ data: [{ id: "a" }, { id: "b" }], total: 2 });
    expect(read.drift.unknownFields).toEqual([]);
  });

  it("keeps a binary answer, or one the spec gives no schema, as a Blob", async () => {
    const png = readBody(exchange(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), "image/png"), withSchema, "get");
    expect(png.value).toBeInstanceOf(Blob);
    const jsonLookingImage = readBody(exchange("[1,2]", "image/x-icon"), withSchema, "get");
    expect(jsonLookingImage.value).toBeInstanceOf(Blob);
    const noSchema = readBody(exchange(json, "application/octet-stream"), withoutSchema, "get");
    expect(noSchema.value).toBeInstanceOf(Blob);
    expect(await (noSchema.value as Blob).text()).toBe(json);
  });

  it("ends with a typed malformed-response when mislabelled bytes start like JSON but are not", () => {
    expect(() => readBody(exchange('{"data": [', "*/*"), withSchema, "get")).toThrow(expect.objectContaining({ kind: "malformed-response" }));
  });
});
