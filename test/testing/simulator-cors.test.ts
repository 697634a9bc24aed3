/**
 * Browser apps call the simulators from another origin: preflights are answered before any
 * operation, quota or log sees them, and answers carry the headers that let the page read them.
 */
import { describe, expect, it } from "@jest/globals";
import { simulatorPool } from "../helpers/simulator.js";

const ORIGIN = "http://127.0.0.1:5173";

describe("simulator CORS", () => {
  const sims = simulatorPool();

  it("answers a preflight itself, echoing the origin, method and headers asked for", async () => {
    const sim = await sims.clinic();
    const reply = await fetch(`${sim.url}/patients`, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type,idempotency-key" },
    });
    expect(reply.status).toBe(204);
    expect(Object.fromEntries([...reply.headers].filter(([name]) => name.startsWith("access-control-")))).toEqual({
      "access-control-allow-origin": ORIGIN,
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": "authorization,content-type,idempotency-key",
      "access-control-expose-headers": "*",
      "access-control-max-age": "600",
    });
    expect(sim.log).toEqual([]);
  });

  it("lets the page read an answer and its headers, and serves requests without an Origin as before", async () => {
    const sim = await sims.clinic({ auth: false });
    const fromPage = await fetch(`${sim.url}/practitioners`, { headers: { origin: ORIGIN } });
    expect([fromPage.status, fromPage.headers.get("access-control-allow-origin"), fromPage.headers.get("access-control-expose-headers")]).toEqual([200, ORIGIN, "*"]);
    const direct = await fetch(`${sim.url}/practitioners`);
    expect([direct.status, direct.headers.get("access-control-allow-origin")]).toEqual([200, null]);
    expect(sim.log.map((entry) => entry.operationId)).toEqual(["listPractitioners", "listPractitioners"]);
  });

  it("answers the FHIR simulator's preflights too", async () => {
    const fhir = await sims.fhir();
    const reply = await fetch(`${fhir.url}/Patient`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "PUT" } });
    expect([reply.status, reply.headers.get("access-control-allow-origin"), reply.headers.get("access-control-allow-methods")]).toEqual([204, ORIGIN, "PUT"]);
  });
});
