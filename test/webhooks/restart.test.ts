/**
 * Stopping and starting a receiver: `close()` lets an event in flight finish within its
 * bound, a new receiver on the same SQLite file resumes what was left pending, an attempt
 * that outlives the bound is given back (handed off again: at least once), and an instance
 * restarted under its own `workerId` takes back a crashed predecessor's leases at once.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Clock } from "../../src/runtime/core/clock.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { memoryInbox, signWebhook, sqliteInbox, webhookHandler, type WebhookInbox } from "../../src/webhooks/index.js";

const SECRET = "restart-test-secret";
const NOW = 1_800_000_000;
const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-webhooks-restart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function request(id: string) {
  const body = JSON.stringify({ type: "patient.updated", data: { id } });
  return { method: "POST", headers: await signWebhook(body, { secret: SECRET, id, timestamp: NOW }), body };
}

/** A gate an onEvent can wait on until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** A new receiver on the same file: hands off what is pending (recording ids in `handled`), then stops. */
async function resume(file: string, clock: FakeClock, handled: string[]): Promise<void> {
  const inbox = sqliteInbox({ path: file });
  const next = webhookHandler({ secrets: SECRET, clock, inbox, onEvent: (e) => void handled.push(e.id) });
  await next.settled();
  await next.close();
  await inbox.close();
}

describe("restarting a receiver", () => {
  it("finishes the event in flight on close, and a new receiver on the same file resumes only the pending ones", async () => {
    const file = path.join(dir, `inbox-${++files}.db`);
    const clock = new FakeClock({ start: NOW * 1000 });
    const handled: string[] = [];
    const slow = gate();
    const first = webhookHandler({ secrets: SECRET, clock, inbox: sqliteInbox({ path: file }), concurrency: 1, onEvent: async (e) => {
      await slow.wait;
      handled.push(e.id);
    } });
    for (const id of ["evt_a", "evt_b", "evt_c"]) expect((await first.handle(await request(id))).status).toBe(204);
    const closing = first.close();
    expect((await first.handle(await request("evt_d"))).status).toBe(503);
    slow.open();
    await closing;
    expect(handled).toEqual(["evt_a"]);
    await first.inbox.close();
    await resume(file, clock, handled);
    expect(handled.sort()).toEqual(["evt_a", "evt_b", "evt_c"]);
  });

  it("gives back an attempt that outlives closeTimeoutMs, so the next receiver hands it off again", async () => {
    const file = path.join(dir, `inbox-${++files}.db`);
    const clock = new FakeClock({ start: NOW * 1000 });
    const calls: string[] = [];
    // The fake clock's bound timers, watched: which are still set.
    const timers = new Set<object>();
    const watched: Clock = { now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms, signal), setTimer: (ms, fire) => {
      const timer = {};
      timers.add(timer);
      const cancel = clock.setTimer!(ms, () => {
        timers.delete(timer);
        fire();
      });
      return () => {
        timers.delete(timer);
        cancel();
      };
    } };
    const first = webhookHandler({ secrets: SECRET, clock: watched, attemptTimeoutMs: 60_000, inbox: sqliteInbox({ path: file }), closeTimeoutMs: 5_000, onEvent: (e) => {
      calls.push(e.id);
      return new Promise<void>(() => undefined);
    } });
    await first.handle(await request("evt_stuck"));
    while (calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const closing = first.close();
    await clock.advance(5_000);
    await closing;
    // The hung attempt's timer is cleared with the stop: nothing of the receiver keeps waiting.
    expect(timers.size).toBe(0);
    await first.inbox.close();
    await resume(file, clock, calls);
    expect(calls).toEqual(["evt_stuck", "evt_stuck"]);
  });

  it("takes back at once what a crashed instance of the same workerId held, without waiting for its lease to end", async () => {
    const file = path.join(dir, `inbox-${++files}.db`);
    const clock = new FakeClock({ start: NOW * 1000 });
    const crashed: WebhookInbox = sqliteInbox({ path: file });
    await crashed.accept({ id: "evt_held", raw: '{"type":"patient.updated"}', type: "patient.updated" }, clock.now());
    expect(await crashed.claim("pod-1", 10, 600_000, clock.now())).toHaveLength(1);
    await crashed.close();

    const handled: string[] = [];
    const inbox = sqliteInbox({ path: file });
    const restarted = webhookHandler({ secrets: SECRET, clock, inbox, workerId: "pod-1", onEvent: (e) => void handled.push(e.id) });
    while (handled.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await restarted.close();
    await inbox.close();
    expect(handled).toEqual(["evt_held"]);
  });

  it.each([
    ["memory", () => memoryInbox()],
    ["sqlite", () => sqliteInbox({ path: path.join(dir, `inbox-${++files}.db`) })],
  ] as const)("hands each pending leftover off exactly once when restarted under its workerId (%s)", async (_name, open) => {
    const clock = new FakeClock({ start: NOW * 1000 });
    const inbox: WebhookInbox = open();
    for (const id of ["e1", "e2"]) await inbox.accept({ id, raw: '{"type":"patient.updated"}', type: "patient.updated" }, clock.now());
    const handled: string[] = [];
    const restarted = webhookHandler({ secrets: SECRET, clock, inbox, workerId: "pod-1", onEvent: (e) => void handled.push(e.id) });
    await restarted.settled();
    await restarted.close();
    expect(handled.sort()).toEqual(["e1", "e2"]);
    expect(await inbox.counts()).toMatchObject({ pending: 0, handled: 2 });
    await inbox.close();
  });
});
