/**
 * Specs read over HTTP: relative refs resolve against the URL, and every way a fetch goes
 * wrong is one typed line (404, a failing server, no answer in time, too large, not a spec).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildRegistry } from "../../src/codegen/build-registry.js";
import { SpecFetchError, fetchSpecText } from "../../src/codegen/fetch-spec.js";
import { loadSpec } from "../../src/codegen/load-spec.js";
import { childTestTimeout, runCli } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/http-server.js";

const MAIN = `openapi: 3.0.3
info: { title: Remote things, version: 1.0.0 }
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: The thing
          content:
            application/json:
              schema: { $ref: "./schemas/thing.yaml#/Thing" }
`;
const THING = "Thing:\n  type: object\n  required: [id]\n  properties:\n    id: { type: string }\n    label: { type: string }\n";

let server: TestServer;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-url-"));
  server = await startServer((req, res) => {
    const route = req.url.split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    switch (route) {
      case "/v1/openapi.yaml":
        return send(200, "application/yaml", MAIN);
      case "/v1/schemas/thing.yaml":
        return send(200, "application/yaml", THING);
      case "/moved":
        res.writeHead(302, { location: "/v1/openapi.yaml" });
        return void res.end();
      case "/unavailable":
        return send(503, "text/plain", "down");
      case "/html":
        return send(200, "text/html; charset=utf-8", "<!doctype html><title>Sign in</title>");
      case "/not-openapi.json":
        return send(200, "application/json", JSON.stringify({ hello: "world" }));
      case "/fhir/metadata":
        return send(200, "application/fhir+json", JSON.stringify({ resourceType: "CapabilityStatement", status: "active", kind: "instance", fhirVersion: "4.0.1", format: ["json"] }));
      case "/big":
        // Streamed without a length: the bound is kept while reading, not only from the header.
        res.writeHead(200, { "content-type": "application/yaml" });
        res.write(`# ${"x".repeat(4_000)}\n`);
        return void res.end(MAIN);
      case "/silent":
        return; // never answers
      default:
        return send(404, "text/plain", "no such spec");
    }
  });
});
afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("a spec from a URL", () => {
  it("loads and bundles, its relative refs fetched from beside it (after a redirect too)", async () => {
    for (const where of ["/v1/openapi.yaml", "/moved"]) {
      const loaded = await loadSpec(`${server.url}${where}`);
      expect(loaded.bundled).toBe(true);
      const [entry] = buildRegistry(loaded.document, `${server.url}${where}`);
      expect(entry!.descriptor.operationId).toBe("getThing");
      const schemas = (loaded.document.components as { schemas: Record<string, unknown> }).schemas;
      expect(Object.values(schemas)).toContainEqual(expect.objectContaining({ required: ["id"] }));
    }
    expect(server.requests.map((r) => r.url)).toContain("/v1/schemas/thing.yaml");
  });

  it.each<[string, string, string, string]>([
    ["404", "/nope.yaml", "status", "spec-unreadable"],
    ["a failing server", "/unavailable", "status", "spec-unreachable"],
    ["an HTML page", "/html", "not-a-spec", "spec-unsupported"],
  ])("%s is one typed line", async (_label, where, failure, kind) => {
    const url = `${server.url}${where}`;
    const error = await loadSpec(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecFetchError);
    expect(error).toMatchObject({ failure, kind, file: url });
    expect((error as Error).message.split("\n")).toHaveLength(1);
  });

  it("a FHIR server's CapabilityStatement at a URL says to save it as a file first", async () => {
    const error = await loadSpec(`${server.url}/fhir/metadata`).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "spec-unsupported" });
    expect((error as Error).message).toMatch(/a FHIR CapabilityStatement is read from a file: save it first/);
  });

  it("names the status, the deadline and the bound in its messages", async () => {
    await expect(loadSpec(`${server.url}/nope.yaml`)).rejects.toThrow(`${server.url}/nope.yaml: HTTP 404 Not Found`);
    await expect(loadSpec(`${server.url}/unavailable`)).rejects.toThrow(`${server.url}/unavailable: HTTP 503 Service Unavailable`);
    await expect(loadSpec(`${server.url}/silent`, { fetchLimits: { deadlineMs: 300, maxBytes: 1_000_000 } })).rejects.toMatchObject({
      failure: "timeout",
      kind: "spec-unreachable",
      message: `${server.url}/silent: no complete answer within 300 ms`,
    });
    await expect(loadSpec(`${server.url}/big`, { fetchLimits: { deadlineMs: 30_000, maxBytes: 2_000 } })).rejects.toMatchObject({
      failure: "too-large",
      kind: "spec-unreadable",
      message: `${server.url}/big: larger than 2000 bytes`,
    });
  });

  it("never shows a URL's credentials or query (spec links often carry a token)", async () => {
    await expect(loadSpec(`${server.url}/nope.yaml?token=s3cret`)).rejects.toThrow(new RegExp(`^${server.url}/nope\\.yaml\\?…: HTTP 404 Not Found$`));
    // Credentials in the URL go as Basic authorization, and nowhere else.
    const withUser = server.url.replace("http://", "http://me:s3cret@");
    const error = (await fetchSpecText(`${withUser}/nope.yaml`).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(`${server.url}/nope.yaml: HTTP 404 Not Found`);
    const request = server.requests.at(-1)!;
    expect(request.url).toBe("/nope.yaml");
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from("me:s3cret").toString("base64")}`);
  });

  it("says a document that is not OpenAPI is not, and a refused connection is unreachable", async () => {
    await expect(loadSpec(`${server.url}/not-openapi.json`)).rejects.toThrow(`${server.url}/not-openapi.json#: no \`openapi: 3.x\` field: not an OpenAPI 3 document`);
    const closed = await startServer();
    const url = `${closed.url}/openapi.yaml`;
    await closed.close();
    await expect(fetchSpecText(url)).rejects.toMatchObject({ failure: "network", kind: "spec-unreachable", message: `${url}: cannot fetch: ECONNREFUSED` });
  });

  it("generates from --spec <url> and from a config's spec URL, the header naming the URL", async () => {
    const url = `${server.url}/v1/openapi.yaml`;
    const out = path.join(tmp, "single");
    const single = await runCli(["generate", "--spec", `${url}?token=s3cret`, "--out", out, "--name", "remote"]);
    expect(single.stderr).toBe("");
    expect(single.stdout).toBe(`carewire: remote: 1 operations → ${out} (8 files)\n`);
    expect(single.code).toBe(0);
    const operations = await readFile(path.join(out, "operations.ts"), "utf8");
    expect(operations).toContain(`// Generated by carewire from ${url}?…. Do not edit`);
    expect(operations).not.toContain("s3cret");
    expect(await readFile(path.join(out, "schema.d.ts"), "utf8")).toMatch(/label\?: string/);

    await writeFile(path.join(tmp, "carewire.config.json"), JSON.stringify({ outDir: "gen", providers: [{ name: "remote", spec: url }] }));
    const config = await runCli(["generate"], { cwd: tmp });
    expect(config.code).toBe(0);
    expect(config.stdout).toContain("carewire: remote: 1 operations → gen/remote");

    const missing = await runCli(["generate", "--spec", `${server.url}/gone.yaml`, "--out", path.join(tmp, "gone"), "--name", "gone"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`carewire: ${server.url}/gone.yaml: HTTP 404 Not Found\n`);
  }, childTestTimeout(3));
});
