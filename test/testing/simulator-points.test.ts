/**
 * The OpenAPI simulator's points quota: beside the request count, each operation spends
 * its price (from `points.costs`, else the spec's `x-carewire-cost`, else 1); a request
 * its points cannot pay gets 429 and spends nothing, and the IETF RateLimit fields name
 * both quotas, so a client can be contract-tested against several quotas at once.
 */
import { describe, expect, it } from "@jest/globals";
import { FakeClock, SimulatorConfigError } from "carewire/testing";
import { call, simulatorPool } from "../helpers/simulator.js";

const sims = simulatorPool();

describe("simulator: a points quota beside requests", () => {
  it("charges each operation its price, refuses what the points cannot pay, and names both quotas", async () => {
    const clock = new FakeClock();
    const sim = await sims.clinic({ clock, auth: false, rateLimit: { limit: 100, windowSeconds: 10 }, rateLimitHeaders: "ietf", points: { limit: 10, windowSeconds: 10, costs: { listPractitioners: 4 } } });

    const first = await call(sim, "GET", "/practitioners");
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit")).toBe('"requests";r=99;t=10, "points";r=6;t=10');
    expect(first.headers.get("ratelimit-policy")).toBe('"requests";q=100;w=10, "points";q=10;w=10');
    await clock.advance(1_000);
    expect((await call(sim, "GET", "/practitioners")).status).toBe(200);

    const refused = await call(sim, "GET", "/practitioners");
    expect(refused.status).toBe(429);
    // 4 points must free: the first list leaves the window 9 s from now.
    expect(refused.headers.get("retry-after")).toBe("9");
    expect(refused.headers.get("ratelimit")).toBe('"requests";r=97;t=10, "points";r=2;t=9');
    // An operation with no price costs 1: it still fits in the 2 points the refusal left.
    expect((await call(sim, "GET", "/practitioners/p-1")).headers.get("ratelimit")).toMatch(/"points";r=1;/);
    expect(sim.counters.rateLimited).toBe(1);
  });

  it("rejects a points quota no provider could have", async () => {
    await expect(sims.clinic({ points: { limit: 0, windowSeconds: 10 } })).rejects.toThrow(SimulatorConfigError);
    await expect(sims.clinic({ points: { limit: 10, windowSeconds: 10, costs: { listPractitioners: -1 } } })).rejects.toThrow(/points.costs.listPractitioners/);
  });
});
