/**
 * Tenants on one client_id: clients made for different clinics share the provider's quota
 * through one store, and a noisy tenant cannot starve a quiet one. A real HTTP server, a
 * fake clock, the memory store (the Redis store runs the same rule; see the store contract).
 */
import { describe, expect, it } from "@jest/globals";
import { memoryStore, type OperationSchemas, type Pipeline } from "carewire";
import { tolerantObject, z } from "carewire/zod";
import { FakeClock } from "carewire/testing";
import { json } from "../helpers/http-server.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile } from "../helpers/pipeline.js";

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string() }) } };
const server = serverForFile();
const WINDOW = 10_000;

/** Each call's send time on the fake clock (its attempt's start: an auto-advancing clock may move while a request travels). */
function sends(arrivals: Array<{ tenant: string; at: number }>) {
  server.handle((_req, res) => json(res, 200, { id: "ok" }));
  return async (client: Pipeline, tenant: string, i: number) => {
    const result = await client.call(testOperation(), schemas, { params: { path: { thingId: `${tenant}-${i}` } } });
    expect(result.error).toBeUndefined();
    arrivals.push({ tenant, at: Date.parse(result.meta.attempts[0]!.startedAt) });
    return result;
  };
}

describe("tenants sharing one quota", () => {
  it("a quiet tenant gets its share of every window while a noisy one has a backlog", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals: Array<{ tenant: string; at: number }> = [];
    const call = sends(arrivals);
    const store = memoryStore();
    const pacing = { limit: 4, windowMs: WINDOW, safetyMarginMs: 0 };
    const noisy = pipelineWith(server.url, { clock, store, tenant: "noisy", pacing });
    const quiet = pipelineWith(server.url, { clock, store, tenant: "quiet", pacing });

    const backlog = Array.from({ length: 12 }, (_, i) => call(noisy, "noisy", i));
    const few = Array.from({ length: 4 }, (_, i) => call(quiet, "quiet", i));
    await Promise.all([...backlog, ...few]);

    const start = Math.min(...arrivals.map((a) => a.at));
    const inWindow = (n: number, tenant: string) => arrivals.filter((a) => a.tenant === tenant && a.at >= start + n * WINDOW && a.at < start + (n + 1) * WINDOW).length;
    // The first window went to whoever asked first; from then on the quiet tenant gets half.
    expect(inWindow(0, "noisy") + inWindow(0, "quiet")).toBe(4);
    expect(inWindow(1, "quiet")).toBe(2);
    expect(inWindow(1, "noisy")).toBe(2);
    // Its four calls are done long before the noisy backlog is.
    const lastQuiet = Math.max(...arrivals.filter((a) => a.tenant === "quiet").map((a) => a.at));
    const lastNoisy = Math.max(...arrivals.filter((a) => a.tenant === "noisy").map((a) => a.at));
    expect(lastQuiet).toBeLessThan(lastNoisy);
  });

  it("shares by weight, and caps a tenant at its budget", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals: Array<{ tenant: string; at: number }> = [];
    const call = sends(arrivals);
    const store = memoryStore();
    const pacing = { limit: 4, windowMs: WINDOW, safetyMarginMs: 0, tenantWeights: { big: 3 }, tenantBudget: { capped: { limit: 1, windowMs: WINDOW } } };
    const big = pipelineWith(server.url, { clock, store, tenant: "big", pacing });
    const small = pipelineWith(server.url, { clock, store, tenant: "small", pacing });
    const capped = pipelineWith(server.url, { clock, store, tenant: "capped", pacing });

    await Promise.all([...Array.from({ length: 12 }, (_, i) => call(big, "big", i)), ...Array.from({ length: 6 }, (_, i) => call(small, "small", i)), ...Array.from({ length: 3 }, (_, i) => call(capped, "capped", i))]);

    const start = Math.min(...arrivals.map((a) => a.at));
    const perWindow = (tenant: string) => {
      const counts: number[] = [];
      for (const a of arrivals.filter((x) => x.tenant === tenant)) counts[Math.floor((a.at - start) / WINDOW)] = (counts[Math.floor((a.at - start) / WINDOW)] ?? 0) + 1;
      return counts;
    };
    // The budget holds every window: one send of "capped" per window at most.
    expect(Math.max(...perWindow("capped").filter((n) => n !== undefined))).toBe(1);
    // While all three wait, weights 3 : 1 : 1 give "big" at most 3 of 4 and "small" at least one.
    expect(perWindow("small")[1]).toBeGreaterThanOrEqual(1);
    expect(perWindow("big")[1]).toBeLessThanOrEqual(3);
  });

  it("refuses a weight or budget that is not a positive number", () => {
    expect(() => pipelineWith(server.url, { pacing: { tenantWeights: { a: 0 } } })).toThrow(/tenantWeights: the weight of "a"/);
    expect(() => pipelineWith(server.url, { pacing: { tenantBudget: { limit: -1, windowMs: 1_000 } } })).toThrow(/tenantBudget/);
  });
});
