/**
 * The guarantee, end to end over real HTTP on 127.0.0.1 with a SQLite inbox in a file:
 * 1,000 distinct events, 10 % of them delivered twice, 5 % held back until the receiver has
 * been closed and a new one (a new process object on the same file) started. Every event
 * is handed to the app exactly once. The first receiver is closed while most accepted events
 * still wait for hand-off; the second resumes them.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { signWebhook, sqliteInbox, webhookHandler, type WebhookHandler } from "../../src/webhooks/index.js";

const SECRET = `whsec_${Buffer.from("exactly once secret, 32 bytes!!!").toString("base64")}`;
const EVENTS = 1_000;
const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-webhooks-once-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Receiver {
  readonly url: string;
  readonly handler: WebhookHandler;
  stop(): Promise<void>;
}

async function receiver(file: string, onEvent: (id: string) => Promise<void> | void): Promise<Receiver> {
  const inbox = sqliteInbox({ path: file });
  // Real time here: the bounds are generous (the stalled hand-offs wait for all the sending, on a
  // loaded machine) so that no attempt times out and no close gives an event back mid-run.
  const handler = webhookHandler({ secrets: SECRET, inbox, concurrency: 8, pollMs: 50, attemptTimeoutMs: 600_000, closeTimeoutMs: 120_000, onEvent: (event) => onEvent(event.id) });
  const server = http.createServer(handler.listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    handler,
    async stop() {
      await handler.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await inbox.close();
    },
  };
}

const bodyOf = (i: number) => JSON.stringify({ type: "appointment.updated", data: { id: `apt-${i}` } });

/** Sends each delivery (signed as a sender would), `parallel` at a time; the statuses in order. */
async function send(url: string, events: readonly number[], parallel = 16): Promise<number[]> {
  const statuses: number[] = new Array<number>(events.length);
  let next = 0;
  const lane = async () => {
    for (let k = next++; k < events.length; k = next++) {
      const i = events[k]!;
      const headers = await signWebhook(bodyOf(i), { secret: SECRET, id: `evt_${i}` });
      statuses[k] = (await fetch(url, { method: "POST", body: bodyOf(i), headers: { ...headers, "content-type": "application/json" } })).status;
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return statuses;
}

describe("1,000 webhooks across a restart of the receiver", () => {
  it("hands each event to the app exactly once: 10 % duplicated, 5 % delivered only after the restart", async () => {
    const file = path.join(dir, "inbox.db");
    const all = Array.from({ length: EVENTS }, (_, i) => i);
    const late = all.filter((i) => i % 20 === 7);
    const duplicated = all.filter((i) => i % 10 === 3);
    const early = all.filter((i) => i % 20 !== 7);
    const handled: string[] = [];
    const byFirst: string[] = [];

    // The first receiver hands off 100 events, then its app stalls until it is asked to stop.
    let openGate = () => undefined as void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const first = await receiver(file, async (id) => {
      if (byFirst.length >= 100) await gate;
      byFirst.push(id);
      handled.push(id);
    });
    // Duplicates of early events are sent alongside their originals (some race them).
    const earlyStatuses = await send(first.url, [...early, ...duplicated.filter((i) => i % 20 !== 7 && i % 40 < 20)]);
    expect(new Set(earlyStatuses)).toEqual(new Set([204]));
    const acceptedBeforeStop = (await first.handler.inbox.counts()).pending + (await first.handler.inbox.counts()).handled;
    expect(acceptedBeforeStop).toBe(early.length);
    openGate();
    await first.stop();
    expect(byFirst.length).toBeGreaterThanOrEqual(100);
    expect(byFirst.length).toBeLessThan(early.length);

    const second = await receiver(file, (id) => void handled.push(id));
    try {
      // The late 5 %, and the rest of the duplicates: replays of events the first receiver took.
      const lateStatuses = await send(second.url, [...late, ...duplicated.filter((i) => !(i % 20 !== 7 && i % 40 < 20)), ...duplicated.slice(0, 20)]);
      expect(new Set(lateStatuses)).toEqual(new Set([204]));
      await second.handler.settled();
      expect(await second.handler.inbox.counts()).toEqual({ pending: 0, handled: EVENTS, dead: 0 });
    } finally {
      await second.stop();
    }

    const times = new Map<string, number>();
    for (const id of handled) times.set(id, (times.get(id) ?? 0) + 1);
    expect(handled).toHaveLength(EVENTS);
    expect([...times.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(times.keys())).toEqual(new Set(all.map((i) => `evt_${i}`)));
  }, 180_000);
});
