/** `carewire mock` and `carewire contract` from a shell, as a user's CI runs them. */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CHILD_LIMIT_MS, ROOT, cliCommand, childTestTimeout, runCli } from "../helpers/cli.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";
import { withDebianPackage } from "../helpers/debian-package.js";

let liar: TestServer;
beforeAll(async () => {
  liar = await startServer((_req, res) => json(res, 200, {}));
});
afterAll(async () => {
  await liar.close();
});

/** A one-operation spec (`GET /things` answering `{ n }`, or 401) with this security and these schemes, written into `dir`. */
async function keyedSpec(dir: string, security: string, schemes: string): Promise<string> {
  const spec = path.join(dir, "keyed.yaml");
  await writeFile(
    spec,
    [
      "openapi: 3.0.3",
      "info: { title: Keyed, version: '1' }",
      `security: ${security}`,
      `components: { securitySchemes: ${schemes} }`,
      "paths:",
      "  /things:",
      "    get:",
      "      operationId: listThings",
      "      responses:",
      "        '200': { description: ok, content: { application/json: { schema: { type: object, properties: { n: { type: integer } }, required: [n] } } } }",
      "        '401': { description: no key }",
    ].join("\n"),
  );
  return spec;
}

describe("carewire contract", () => {
  it("passes every clinic operation against the in-process simulator (exit 0)", async () => {
    const result = await runCli(["contract", "specs/clinic/openapi.yaml", "--scenario", "clinic"]);
    expect(result.stdout).toContain("12 passed, 0 failed, 0 not exercised (12 operations");
    expect(result.code).toBe(0);
  }, childTestTimeout(1));

  it("refuses an operation id the spec does not have (exit 2, one line), naming the one meant when only the case differs", async () => {
    const result = await runCli(["contract", "specs/clinic/openapi.yaml", "--operation", "getpatient", "--operation", "noSuchOp"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('carewire: contract: specs/clinic/openapi.yaml has no operation "getpatient", "noSuchOp" (did you mean "getPatient"?)');
    expect(result.stdout).toBe("");
  }, childTestTimeout(1));

  it("fails (exit 1) against a server that breaks the contract, naming the violations", async () => {
    const result = await runCli(["contract", "specs/clinic/openapi.yaml", "--base-url", liar.url, "--token", "t"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL createPatient\s+POST\s+\/patients\s+→ 200/);
    expect(result.stdout).toContain("✗ status 200 is not declared");
  }, childTestTimeout(1));

  it("never passes an operation the server refused: not exercised, exit 1 with --strict and 0 without", async () => {
    const refuser = await startServer((_req, res) => json(res, 400, { message: "bad request" }));
    try {
      const strict = await runCli(["contract", "specs/clinic/openapi.yaml", "--base-url", refuser.url, "--token", "t", "--strict"]);
      expect(strict.stdout).toContain("0 passed, 0 failed, 12 not exercised (12 operations");
      expect(strict.stdout).toMatch(/FAIL createPatient\s+POST\s+\/patients\s+→ 400\n\s+– not exercised: refused with 400 \(the server said: bad request\)/);
      expect(strict.stdout).not.toMatch(/^ok /m);
      expect(strict.code).toBe(1);
      // Without --strict a refusal is a skip, but a run that exercised nothing checked nothing: exit 1.
      const lenient = await runCli(["contract", "specs/clinic/openapi.yaml", "--base-url", refuser.url, "--token", "t"]);
      expect(lenient.stdout).toContain("0 passed, 0 failed, 12 not exercised (12 operations");
      expect(lenient.stdout).toMatch(/^skip createPatient /m);
      expect(lenient.stderr).toContain("carewire: contract: no operation was exercised, so nothing was checked (exit 1)");
      expect(lenient.code).toBe(1);
    } finally {
      await refuser.close();
    }
  }, childTestTimeout(2));

  it("sends --api-key where the spec's scheme puts it; the demo key a server turns away leaves nothing exercised (exit 1)", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "cw-apikey-"));
    const spec = await keyedSpec(dir, "[{ key: [] }]", "{ key: { type: apiKey, in: header, name: X-Api-Key } }");
    const keyed = await startServer((req, res) => (req.headers["x-api-key"] === "k-1" ? json(res, 200, { n: 1 }) : json(res, 401, { message: "key?" })));
    try {
      const given = await runCli(["contract", spec, "--base-url", keyed.url, "--api-key", "k-1"]);
      expect(given.stdout).toContain("1 passed, 0 failed, 0 not exercised (1 operations");
      expect(given.code).toBe(0);
      const none = await runCli(["contract", spec, "--base-url", keyed.url]);
      expect(none.stdout).toContain("0 passed, 0 failed, 1 not exercised");
      expect(none.stdout).toContain("not exercised: refused with 401: only the simulator's demo client was tried");
      expect(none.code).toBe(1);
      expect(keyed.requests.map((r) => r.headers["x-api-key"])).toEqual(["k-1", "carewire-demo-key"]);
    } finally {
      await keyed.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, childTestTimeout(2));

  it("sends every key of a requirement that asks for two, each --api-key named by its scheme or its parameter; a bare one fills the rest", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "cw-apikeys-"));
    const spec = await keyedSpec(dir, "[{ api-key: [], user: [] }]", "{ api-key: { type: apiKey, in: header, name: api-key }, user: { type: apiKey, in: query, name: user-id } }");
    const pair = await startServer((req, res) => (req.headers["api-key"] === "k-1" && new URL(req.url ?? "/", "http://x").searchParams.get("user-id") === "u=1" ? json(res, 200, { n: 1 }) : json(res, 401, { message: "key?" })));
    try {
      for (const keys of [["api-key=k-1", "user=u=1"], ["api-key=k-1", "user-id=u=1"], ["user=u=1", "k-1"]]) {
        const run = await runCli(["contract", spec, "--base-url", pair.url, ...keys.flatMap((key) => ["--api-key", key])]);
        expect([run.code, run.stdout]).toEqual([0, expect.stringContaining("1 passed, 0 failed, 0 not exercised (1 operations")]);
      }
      const typo = await runCli(["contract", spec, "--base-url", pair.url, "--api-key", "apikey=k-1"]);
      expect([typo.code, typo.stderr.trim()]).toEqual([2, `carewire: contract: ${spec} has no API-key scheme "apikey" (it has "api-key" (the header api-key), "user" (the query user-id))`]);
      const twice = await runCli(["contract", spec, "--base-url", pair.url, "--api-key", "k-1", "--api-key", "k-2"]);
      expect([twice.code, twice.stderr]).toEqual([2, expect.stringContaining("--api-key <key> is given twice")]);
    } finally {
      await pair.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, childTestTimeout(5));

  it("says why a request got no response, and prints each violation once", async () => {
    const hangUp = await startServer((_req, res) => void res.socket?.destroy());
    try {
      const result = await runCli(["contract", "specs/clinic/openapi.yaml", "--base-url", hangUp.url, "--token", "t", "--operation", "getPatient"]);
      expect(result.stdout).toMatch(/FAIL getPatient\s+GET\s+\/patients\/\{patientId\}\s+→ no response \(network\)\n/);
      expect(result.stdout).not.toContain("undefined");
      const lines = result.stdout.split("\n").filter((l) => /^\s+[✗~–] /.test(l));
      expect(lines).toEqual([...new Set(lines)]);
      expect(lines).toHaveLength(1);
      expect(result.code).toBe(1);
    } finally {
      await hangUp.close();
    }
  }, childTestTimeout(1));

  it("says in one line (exit 3) that nothing listens at the base URL, instead of failing every operation", async () => {
    const closed = await startServer(() => undefined);
    const url = closed.url;
    await closed.close();
    const result = await runCli(["contract", "specs/clinic/openapi.yaml", "--base-url", url, "--token", "t"]);
    expect(result).toEqual({ code: 3, stdout: "", stderr: `carewire: contract: nothing answered at ${url} (all 12 operations failed to connect); is the server running?\n` });
  }, childTestTimeout(1));

  it("prints a JSON report with --json", async () => {
    const result = await runCli(["contract", "specs/clinic/openapi.yaml", "--operation", "listPractitioners", "--json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { passed: number; failed: number; notExercised: number; strict: boolean; checks: Array<{ operationId: string; outcome: string }> };
    expect(report).toMatchObject({ passed: 1, failed: 0, notExercised: 0, strict: false });
    expect(report.checks[0]!.outcome).toBe("passed");
    expect(report.checks.map((c) => c.operationId)).toEqual(["listPractitioners"]);
  }, childTestTimeout(1));

  it("rejects bad arguments and bad specs with exit 2", async () => {
    expect((await runCli(["contract"])).code).toBe(2);
    expect((await runCli(["contract", "specs/clinic/openapi.yaml", "--client-id", "x"])).code).toBe(2);
    const swagger = await runCli(["contract", "test/fixtures/specs/bad/swagger2.json"]);
    expect(swagger.code).toBe(2);
    expect(swagger.stderr).toContain("convert to OpenAPI 3 first");
  }, childTestTimeout(3));
});

/**
 * `carewire mock <args>` in a child process; resolves with its URL once it listens (or fails
 * if it has not within CHILD_LIMIT_MS, killing it), and a stop() that resolves with its exit code.
 */
async function startMock(args: readonly string[]): Promise<{ url: string; output(): string; stop(): Promise<number | null>; kill(): void }> {
  const command = cliCommand(["mock", ...args]);
  const child = spawn(command.file, command.args, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "" } });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()));
  let timer: NodeJS.Timeout | undefined;
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = / on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`mock exited early (${String(code)}); stderr:\n${stderr}`)));
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mock was not listening after ${CHILD_LIMIT_MS} ms; stderr:\n${stderr}`));
    }, CHILD_LIMIT_MS);
  }).finally(() => clearTimeout(timer));
  return {
    url,
    output: () => out,
    stop() {
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      return exited;
    },
    kill: () => void child.kill("SIGKILL"),
  };
}

describe("carewire mock", () => {
  // An hour's window: the third request finds it full however slowly the machine runs.
  it("serves a spec until stopped, with the rate limit given on the command line", async () => {
    const mock = await startMock(["specs/clinic/openapi.yaml", "--port", "0", "--rate-limit", "2/60m", "--no-auth"]);
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${mock.url}/practitioners`)).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect(await mock.stop()).toBe(0);
    } finally {
      mock.kill();
    }
  }, childTestTimeout(1));

  it("dedupes every write by its key with --idempotency-keys always, where the spec declares none", async () => {
    const mock = await startMock(["test/fixtures/specs/good/views.json", "--port", "0", "--no-auth", "--rate-limit", "off", "--idempotency-keys", "always"]);
    try {
      const book = () => fetch(`${mock.url}/appointments`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": "k-1" }, body: JSON.stringify({ start: "2030-01-15T10:00:00Z" }) });
      const [first, second] = [await book(), await book()];
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(second.headers.get("idempotent-replayed")).toBe("true");
      expect(await mock.stop()).toBe(0);
    } finally {
      mock.kill();
    }
  }, childTestTimeout(1));

  it("prints a command that gets a bearer token the mock then takes", async () => {
    const curl = withDebianPackage("curl", () => (existsSync("/usr/bin/curl") ? "/usr/bin/curl" : undefined), "curl");
    const mock = await startMock(["specs/clinic/openapi.yaml", "--port", "0"]);
    try {
      // The banner is written in one piece, after the line with the URL.
      while (!mock.output().includes("admin:")) await new Promise((resolve) => setTimeout(resolve, 20));
      const command = /a bearer token: (.+)/.exec(mock.output())?.[1];
      expect(command).toContain(`${mock.url}/oauth/token`);
      const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${path.dirname(curl)}:${process.env.PATH ?? ""}`, NODE_OPTIONS: "" };
      const token = (await promisify(execFile)("bash", ["-c", command ?? "false"], { env, timeout: CHILD_LIMIT_MS })).stdout.trim();
      expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect((await fetch(`${mock.url}/patients`)).status).toBe(401);
      expect((await fetch(`${mock.url}/patients`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(await mock.stop()).toBe(0);
    } finally {
      mock.kill();
    }
  }, childTestTimeout(2));

  it("serves a FHIR CapabilityStatement as a FHIR server with the rate limit given", async () => {
    const mock = await startMock(["specs/fhir-r4/capability.json", "--port", "0", "--rate-limit", "2/60m"]);
    try {
      const first = await fetch(`${mock.url}/Patient?_count=5`);
      expect(first.status).toBe(200);
      expect(((await first.json()) as { resourceType: string }).resourceType).toBe("Bundle");
      expect((await fetch(`${mock.url}/Patient/nope`)).status).toBe(404);
      expect((await fetch(`${mock.url}/Patient`)).status).toBe(429);
      expect(await mock.stop()).toBe(0);
    } finally {
      mock.kill();
    }
  }, childTestTimeout(1));

  it("rejects bad arguments with exit 2", async () => {
    expect((await runCli(["mock"])).code).toBe(2);
    const badRate = await runCli(["mock", "specs/clinic/openapi.yaml", "--rate-limit", "lots"]);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toContain("--rate-limit needs <requests>/<window>");
    expect((await runCli(["mock", "specs/clinic/openapi.yaml", "--rate-limit-headers", "fancy"])).code).toBe(2);
    const badKeys = await runCli(["mock", "specs/clinic/openapi.yaml", "--idempotency-keys", "sometimes"]);
    expect(badKeys.code).toBe(2);
    expect(badKeys.stderr).toContain('--idempotency-keys is declared or always, got "sometimes"');
  }, childTestTimeout(4));
});
