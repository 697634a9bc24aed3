/**
 * The simulator as a webhook sender: every change of its resources, made through its API
 * or by its change schedule, arrives at `webhookHandler` as a signed Standard Webhook the
 * handler accepts. Retries, duplicates and held-back deliveries run on a fake clock, and the
 * app still takes each event once.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { startSimulator, type Simulator, type SimulatorOptions } from "../../src/testing/index.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { resourceName } from "../../src/testing/simulator/webhook-sender.js";
import { webhookHandler, type VerifiedWebhook, type WebhookHandler } from "../../src/webhooks/index.js";
import { CLINIC_SPEC } from "../helpers/simulator.js";

const SECRET = `whsec_${Buffer.from("simulator webhook secret 32 byte").toString("base64")}`;
const NEW_PATIENT = { identifier: "MRN-0042-TEST", givenName: "Juniper", familyName: "Quillfeather", birthDate: "1987-04-12" };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Payload = { type: string; data: { id: string; collection: string } };

/** A receiver on 127.0.0.1; `refuseFirst` answers that many requests 503 before the handler sees any. */
async function receiver(clock?: FakeClock, refuseFirst = 0): Promise<{ url: string; handler: WebhookHandler; events: Array<VerifiedWebhook<Payload>> }> {
  const events: Array<VerifiedWebhook<Payload>> = [];
  const handler = webhookHandler<Payload>({ secrets: SECRET, onEvent: (event) => void events.push(event), ...(clock ? { clock } : {}) });
  let refused = 0;
  const server = http.createServer((req, res) => {
    if (refused++ < refuseFirst) {
      req.resume();
      res.writeHead(503).end();
      return;
    }
    handler.listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => handler.close(), () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, handler, events };
}

async function simulator(options: Partial<SimulatorOptions>): Promise<Simulator> {
  const sim = await startSimulator({ spec: CLINIC_SPEC, rateLimit: false, ...options });
  cleanups.push(() => sim.close());
  return sim;
}

async function call(sim: Simulator, token: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${sim.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
  expect(response.status).toBeLessThan(300);
  return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
}

describe("simulator webhooks", () => {
  it("names event types from the collection: /patients → patient, /v1/Calls.json → call, /categories → category", () => {
    expect([resourceName("/patients"), resourceName("/v1/Calls.json"), resourceName("/categories"), resourceName("/{org}/address")]).toEqual(["patient", "call", "category", "address"]);
  });

  it("sends a signed webhook the handler accepts for each change made through the API", async () => {
    const { url, handler, events } = await receiver();
    const sim = await simulator({ seedExamples: false, webhooks: { url, secret: SECRET } });
    const token = await sim.issueToken();
    const created = await call(sim, token, "POST", "/patients", NEW_PATIENT);
    await call(sim, token, "PUT", `/patients/${String(created.id)}`, { ...NEW_PATIENT, phone: "+1-555-0199" });
    await sim.webhooks!.idle();
    await handler.settled();
    expect(events.map((e) => [e.type, e.payload.data.id])).toEqual([
      ["patient.created", created.id],
      ["patient.updated", created.id],
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
    expect(sim.webhooks!.deliveries.map((d) => d.status)).toEqual([204, 204]);
  });

  it("retries a delivery the app refused, on the simulator's clock, with the same event id", async () => {
    const clock = new FakeClock({ start: Date.UTC(2030, 0, 1) });
    const { url, handler, events } = await receiver(clock, 2);
    const sim = await simulator({ seedExamples: false, clock, webhooks: { url, secret: SECRET, retryScheduleMs: [1_000, 60_000] } });
    const token = await sim.issueToken();
    const created = await call(sim, token, "POST", "/patients", NEW_PATIENT);
    await until(() => sim.webhooks!.deliveries.length === 1);
    await clock.advance(1_000);
    await until(() => sim.webhooks!.deliveries.length === 2);
    expect(events).toHaveLength(0);
    await clock.advance(60_000);
    await sim.webhooks!.idle();
    await handler.settled();
    expect(sim.webhooks!.deliveries.map((d) => [d.attempt, d.status])).toEqual([[1, 503], [2, 503], [3, 204]]);
    expect(new Set(sim.webhooks!.deliveries.map((d) => d.id)).size).toBe(1);
    expect(events.map((e) => e.payload.data.id)).toEqual([created.id]);
  });

  it("changes data on a schedule, duplicating and holding back deliveries, and the app takes each event once", async () => {
    const clock = new FakeClock({ start: Date.UTC(2030, 0, 1) });
    const { url, handler, events } = await receiver(clock);
    const sim = await simulator({ clock, seed: 7, changes: { everyMs: 1_000, limit: 20 }, webhooks: { url, secret: SECRET, duplicate: 0.3, delay: { fraction: 0.2, ms: 30_000 } } });
    for (let i = 0; i < 20; i++) await clock.advance(1_000);
    await clock.advance(30_000);
    await sim.webhooks!.idle();
    await handler.settled();
    expect(sim.webhooks!.events).toBe(20);
    const deliveries = sim.webhooks!.deliveries;
    expect(deliveries.filter((d) => d.duplicate).length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.status === 204)).toBe(true);
    expect(events).toHaveLength(20);
    expect(new Set(events.map((e) => e.id)).size).toBe(20);
    expect(events.every((e) => /^(patient|appointment|practitioner)\.(created|updated)$/.test(e.type ?? ""))).toBe(true);
  });

  it("sends a late duplicate after the app took the first, and the app still takes each event once", async () => {
    const clock = new FakeClock({ start: Date.UTC(2030, 0, 1) });
    const { url, handler, events } = await receiver(clock);
    const sim = await simulator({ clock, seed: 3, changes: { everyMs: 1_000, limit: 5 }, webhooks: { url, secret: SECRET, duplicate: { fraction: 1, afterMs: 60_000 } } });
    for (let i = 0; i < 5; i++) await clock.advance(1_000);
    await until(() => sim.webhooks!.deliveries.length === 5);
    await handler.settled();
    expect(events).toHaveLength(5);
    expect(sim.webhooks!.deliveries.some((d) => d.duplicate)).toBe(false);
    await clock.advance(60_000);
    await sim.webhooks!.idle();
    await handler.settled();
    expect(sim.webhooks!.deliveries.filter((d) => d.duplicate && d.status === 204)).toHaveLength(5);
    expect(events).toHaveLength(5);
    expect(await handler.inbox.counts()).toMatchObject({ pending: 0, handled: 5 });
  });

  it("makes new ids in each run, so a second simulator's events into the same receiver are not taken for duplicates", async () => {
    const { url, handler, events } = await receiver();
    for (let run = 0; run < 2; run++) {
      const sim = await startSimulator({ spec: CLINIC_SPEC, rateLimit: false, seed: 1, seedExamples: false, webhooks: { url, secret: SECRET } });
      const token = await sim.issueToken();
      await call(sim, token, "POST", "/patients", NEW_PATIENT);
      await sim.webhooks!.idle();
      await sim.close();
    }
    await handler.settled();
    expect(events).toHaveLength(2);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it("stops its schedule and its retries when it closes, with none left waiting", async () => {
    const clock = new FakeClock({ start: Date.UTC(2030, 0, 1) });
    const sim = await startSimulator({ spec: CLINIC_SPEC, clock, changes: { everyMs: 1_000 }, webhooks: { url: "http://127.0.0.1:9/unreachable", secret: SECRET, retryScheduleMs: [3_600_000] } });
    await clock.advance(1_000);
    await until(() => sim.webhooks!.deliveries.length === 1);
    await sim.close();
    expect(clock.pending).toBe(0);
    expect(sim.webhooks!.deliveries[0]!.status).toBe(0);
  });

  it("refuses scheduled changes for a spec with no resource collections, instead of changing nothing for ever", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-no-resources-"));
    try {
      const spec = path.join(dir, "callbacks.json");
      const ok = { description: "accepted" };
      writeFileSync(spec, JSON.stringify({ openapi: "3.0.3", info: { title: "callbacks", version: "1" }, paths: { "/consents/on-init": { post: { operationId: "onInit", responses: { "202": ok } } }, "/health": { get: { operationId: "health", responses: { "200": ok } } } } }));
      await expect(startSimulator({ spec, changes: { everyMs: 1_000 } })).rejects.toThrow(/no resource collections/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Waits (real time, bounded) for a condition the simulator reaches on its own. */
async function until(condition: () => boolean): Promise<void> {
  const giveUpAt = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error("the condition did not hold within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
