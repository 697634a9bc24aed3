/**
 * The simulator under hostile or odd input: it answers with a clear 4xx (or refuses
 * the configuration) and keeps serving. Each case here was a crash, a hang or a
 * wrong answer in review.
 */
import { describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FakeClock, FaultPlanError, SimulatorConfigError, startSimulator, validateFaultPlan, type Simulator } from "carewire/testing";
import { childTestTimeout, runCli } from "../helpers/cli.js";
import { call, CLINIC_SPEC, NEW_PATIENT, simulatorPool, tokenFor, withSimulator } from "../helpers/simulator.js";

let sim: Simulator;
let token: string;
withSimulator("file", { rateLimit: false }, (started, issued) => ([sim, token] = [started, issued]));
const sims = simulatorPool();

describe("fault plans are validated wherever they come from", () => {
  it.each([
    [{ random: { rate: 1, faults: 5 } }, "random.faults"],
    [{ script: { getPatient: 5 } }, "script.getPatient"],
    [{ script: { getPatient: [{ kind: "slow-drip", intervalMs: 10, chunkBytes: 0 }] } }, "script.getPatient[0].chunkBytes"],
    [{ script: { getPatient: [{ kind: "status", status: 503, retryAfter: 1e21 }] } }, "script.getPatient[0].retryAfter"],
    [{ script: { getPatient: [{ kind: "status", status: 503, retryAfter: "soon\r\nX-Evil: 1" }] } }, "script.getPatient[0].retryAfter"],
    [{ script: { getPatient: [{ kind: "status", status: 200 }] } }, "script.getPatient[0].status"],
    [{ script: { getPatient: [{ kind: "latency", ms: 2 ** 31 }] } }, "script.getPatient[0].ms"],
    [{ script: { getPatient: [{ kind: "explode" }] } }, "script.getPatient[0].kind"],
    [{ outages: [{ startMs: 0, durationMs: Infinity }] }, "outages[0].durationMs"],
    [{ surprise: true }, "surprise"],
  ])("%j is refused, naming %s", async (plan, field) => {
    expect(() => validateFaultPlan(plan)).toThrow(FaultPlanError);
    const reply = await call(sim, "PUT", "/__carewire/faults", { body: plan });
    expect(reply.status).toBe(400);
    expect((reply.json().errors as Array<{ field: string }>).map((e) => e.field)).toContain(field);
    expect((await call(sim, "GET", "/practitioners", { token })).status).toBe(200); // nothing was loaded
  });

  it("refuses a bad plan from code and from an absurd outage request", async () => {
    expect(() => sim.faults.enqueue("getPatient", [{ kind: "latency", ms: -1 }])).toThrow(FaultPlanError);
    expect((await call(sim, "POST", "/__carewire/outage", { body: { seconds: 1e309 } })).status).toBe(400);
    expect((await call(sim, "POST", "/__carewire/outage", { body: "{" })).status).toBe(400);
  });

  it("refuses impossible options at start", async () => {
    await expect(startSimulator({ spec: CLINIC_SPEC, rateLimit: { limit: 0, windowSeconds: 1 } })).rejects.toThrow(SimulatorConfigError);
    await expect(startSimulator({ spec: CLINIC_SPEC, rateLimit: { limit: 5, windowSeconds: 0 } })).rejects.toThrow("windowSeconds");
    await expect(startSimulator({ spec: CLINIC_SPEC, tokenTtlSeconds: 0 })).rejects.toThrow("tokenTtlSeconds");
    await expect(startSimulator({ spec: CLINIC_SPEC, faults: { random: { rate: 2, faults: [] } } })).rejects.toThrow(FaultPlanError);
  });
});

describe("odd requests get 4xx, not 500", () => {
  it("a malformed Basic credential at the token endpoint is a 401", async () => {
    const reply = await call(sim, "POST", sim.tokenPath, {
      body: "grant_type=client_credentials",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from("%zz:x").toString("base64")}` },
    });
    expect(reply.status).toBe(401);
    expect(reply.json().error).toBe("invalid_client");
  });

  it("a request target that is not a URL is a 400; `//patients` is a path, not a host", async () => {
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: sim.port, path: ":99999", method: "GET" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(400);
    expect((await call(sim, "GET", "//patients", { token })).status).toBe(404);
    expect((await call(sim, "GET", "/practitioners", { token })).status).toBe(200);
  });

  it("a handler that throws answers 500, is logged, and leaves its idempotency key usable", async () => {
    let calls = 0;
    const flaky = await sims.clinic({
      rateLimit: false,
      auth: false,
      handlers: {
        createPatient: (context) => {
          calls++;
          if (calls === 1) throw new Error("database unavailable");
          return context.fallback();
        },
      },
    });
    const send = () => call(flaky, "POST", "/patients", { body: NEW_PATIENT, headers: { "idempotency-key": "k-throw" } });
    expect((await send()).status).toBe(500);
    expect(flaky.log.at(-1)).toMatchObject({ operationId: "createPatient", status: 500 });
    expect((await send()).status).toBe(201);
  });

  it("a handler changing what fallback() returned does not change later responses", async () => {
    const mutating = await sims.clinic({
      rateLimit: false,
      auth: false,
      stateful: false,
      handlers: {
        getPractitioner: (context) => {
          const result = context.fallback();
          (result.body as Record<string, unknown>).name = "Changed";
          return result;
        },
      },
    });
    const first = (await call(mutating, "GET", "/practitioners/pr-1")).json();
    expect(first.name).toBe("Changed");
    const list = (await call(mutating, "GET", "/practitioners")).json() as { data: Array<{ name: string }> };
    expect(list.data.every((p) => p.name !== "Changed")).toBe(true);
  });

  it("a header example written with newlines (a YAML block scalar) is served on one line", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "carewire-hdr-"));
    try {
      const spec = path.join(dir, "hdr.yaml");
      await writeFile(
        spec,
        [
          "openapi: 3.0.3",
          "info: { title: headers, version: '1' }",
          "paths:",
          "  /thing:",
          "    get:",
          "      operationId: getThing",
          "      responses:",
          "        '200':",
          "          description: ok",
          "          headers:",
          "            X-Trace:",
          "              schema: { type: string }",
          "              example: |",
          "                first line",
          "                second line",
          "          content:",
          "            application/json:",
          "              schema: { type: object, properties: { a: { type: string } } }",
        ].join("\n"),
      );
      const s = await sims.start({ spec });
      const reply = await call(s, "GET", "/thing");
      expect(reply.status).toBe(200);
      expect(reply.headers.get("x-trace")).toBe("first line second line");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("token endpoint", () => {
  it("charges a request with a wrong secret to the caller's address, not to the named client", async () => {
    // A fake clock that never moves: all three requests fall in the window, however slow.
    const limited = await sims.clinic({ rateLimit: { limit: 2, windowSeconds: 60 }, clock: new FakeClock() });
    expect((await tokenFor(limited, "carewire-demo", "wrong")).status).toBe(401);
    expect((await tokenFor(limited, "carewire-demo", "wrong")).status).toBe(401);
    expect((await tokenFor(limited, "carewire-demo", "wrong")).status).toBe(429); // the caller's own window
    expect((await tokenFor(limited, "carewire-demo", "carewire-demo-secret")).status).toBe(200); // the client's is untouched
  });

  it("takes faults like every other operation", async () => {
    sim.faults.enqueue("issueToken", [{ kind: "status", status: 503, retryAfter: 2 }, { kind: "reset-before" }]);
    const faulted = await tokenFor(sim, "carewire-demo", "carewire-demo-secret");
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get("retry-after")).toBe("2");
    await expect(tokenFor(sim, "carewire-demo", "carewire-demo-secret")).rejects.toThrow();
    expect((await tokenFor(sim, "carewire-demo", "carewire-demo-secret")).status).toBe(200);
  });
});

describe("idempotency compares requests as data", () => {
  it("the same JSON reformatted with the same key is a replay, not a 422", async () => {
    const first = await call(sim, "POST", "/patients", { token, body: JSON.stringify(NEW_PATIENT), headers: { "idempotency-key": "fmt-1" } });
    const reordered = Object.fromEntries(Object.entries(NEW_PATIENT).reverse());
    const second = await call(sim, "POST", "/patients", { token, body: JSON.stringify(reordered, null, 2), headers: { "idempotency-key": "fmt-1" } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
  });

  it("counters and log are snapshots: changing them changes nothing", async () => {
    const counters = sim.counters;
    counters.requests = -1;
    counters.byStatus["200"] = -1;
    expect(sim.counters.requests).toBeGreaterThan(0);
    expect(sim.counters.byStatus["200"]).toBeGreaterThan(0);
    const log = sim.log as unknown[];
    log.length = 0;
    expect(sim.log.length).toBeGreaterThan(0);
  });
});

describe("carewire mock --faults", () => {
  it("reads a plan file and refuses an invalid one with exit 2", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "carewire-plan-"));
    try {
      const file = path.join(dir, "plan.json");
      await writeFile(file, JSON.stringify({ random: { rate: 5, faults: [] } }));
      const result = await runCli(["mock", "specs/clinic/openapi.yaml", "--faults", file]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("random.rate must be a number from 0 to 1");
      expect(await readFile(file, "utf8")).toContain("rate");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, childTestTimeout(1));
});
