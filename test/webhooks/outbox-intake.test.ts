/**
 * Accepted events as outbox intents, written in the transaction that records the event: on
 * SQLite (the outbox's own file) and a real PostgreSQL (the outbox's own schema). A
 * duplicate writes nothing; an intake that throws leaves neither the event nor an intent,
 * so the sender's retry finds a clean slate; an event with no writes waits for onEvent.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { intentKey } from "../../src/outbox/intent-key.js";
import type { OutboxStore } from "../../src/outbox/outbox-store.js";
import { postgresOutboxStore } from "../../src/outbox/postgres-outbox-store.js";
import { sqliteOutboxStore } from "../../src/outbox/sqlite-outbox-store.js";
import { postgresInbox, signWebhook, sqliteInbox, webhookHandler, type OutboxIntake, type WebhookInbox } from "../../src/webhooks/index.js";
import { postgresForFile } from "../helpers/postgres-for-file.js";

const T0 = 1_800_000_000_000;
const postgres = postgresForFile("intake");
const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-webhooks-intake-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** One write per event, none for `ping` events, and a throw for `broken` ones. */
const intake: OutboxIntake = {
  provider: "clinic",
  codeVersion: "v7",
  toWrites(entry) {
    if (entry.type === "ping") return [];
    if (entry.type === "broken") throw new Error("cannot map this event");
    return [{ operation: "syncPatient", input: { patient: (JSON.parse(entry.raw) as { id: string }).id }, tenant: "clinic-a" }];
  },
};

const engines = [
  ["sqlite", () => {
    const file = path.join(dir, `intake-${++files}.db`);
    return { inbox: sqliteInbox({ path: file, outbox: intake }), outbox: () => sqliteOutboxStore({ path: file }) };
  }],
  ["postgres", () => {
    const schema = postgres.schema();
    return { inbox: postgresInbox({ connection: { connectionString: postgres.url }, schema, outbox: intake }), outbox: () => postgresOutboxStore({ connectionString: postgres.url }, { schema }) };
  }],
] as const;

describe.each(engines)("%s inbox with an outbox intake", (_, make) => {
  async function withBoth(test: (inbox: WebhookInbox, outbox: OutboxStore) => Promise<void>): Promise<void> {
    const { inbox, outbox } = make();
    const store = outbox();
    try {
      await test(inbox, store);
    } finally {
      await inbox.close();
      await store.close();
    }
  }

  it("writes the event's intent in the same step, once, under a key derived from the event id", async () => {
    await withBoth(async (inbox, outbox) => {
      expect(await inbox.accept({ id: "evt_1", type: "patient.updated", raw: '{"id":"pat-1"}' }, T0)).toBe(true);
      expect(await inbox.accept({ id: "evt_1", type: "patient.updated", raw: '{"id":"pat-1"}' }, T0 + 1)).toBe(false);
      const intents = await outbox.list({ withBodies: true });
      expect(intents).toHaveLength(1);
      expect(intents[0]).toMatchObject({ operation: "syncPatient", input: { patient: "pat-1" }, tenant: "clinic-a", codeVersion: "v7", status: "pending", notBefore: T0 });
      expect(intents[0]!.idempotencyKey).toBe(intentKey("clinic", "syncPatient", { businessKey: { webhook: "evt_1", write: 0 } }));
      // The outbox delivers it: the event is not handed to onEvent too, and keeps no body.
      expect(await inbox.counts()).toEqual({ pending: 0, handled: 1, dead: 0 });
      expect(await inbox.list({ status: "handled" })).toMatchObject([{ id: "evt_1", raw: "" }]);
    });
  });

  it("records neither the event nor an intent when the intake throws, so a retry of the delivery starts clean", async () => {
    await withBoth(async (inbox, outbox) => {
      await expect(inbox.accept({ id: "evt_2", type: "broken", raw: '{"id":"pat-2"}' }, T0)).rejects.toMatchObject({ kind: "webhook-inbox" });
      expect(await inbox.counts()).toEqual({ pending: 0, handled: 0, dead: 0 });
      expect(await outbox.list({})).toHaveLength(0);
      expect(await inbox.accept({ id: "evt_2", type: "patient.updated", raw: '{"id":"pat-2"}' }, T0 + 1)).toBe(true);
      expect(await outbox.list({})).toHaveLength(1);
    });
  });

  it("leaves an event with no writes pending for onEvent", async () => {
    await withBoth(async (inbox, outbox) => {
      expect(await inbox.accept({ id: "evt_3", type: "ping", raw: "{}" }, T0)).toBe(true);
      expect(await inbox.counts()).toEqual({ pending: 1, handled: 0, dead: 0 });
      expect(await outbox.list({})).toHaveLength(0);
    });
  });

  it("parks an event with no writes as dead (with its reason) when there is no onEvent to take it", async () => {
    await withBoth(async (inbox) => {
      expect(inbox.outboxIntake).toBe(true);
      const handler = webhookHandler({ secrets: "intake-secret", inbox });
      const ping = JSON.stringify({ type: "ping" });
      expect((await handler.handle({ method: "POST", headers: await signWebhook(ping, { secret: "intake-secret", id: "evt_ping" }), body: ping })).status).toBe(204);
      await handler.settled();
      await handler.close();
      expect(await inbox.list({ status: "dead" })).toEqual([expect.objectContaining({ id: "evt_ping", lastError: "NoWritesNoOnEvent" })]);
    });
  });
});
