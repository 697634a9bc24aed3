/**
 * An app that enqueues into a SQLite outbox and is then killed, in its own process:
 * `tsx test/helpers/outbox-sqlite-child.ts '<settings json>'`. It adds the intents in many
 * concurrent calls, prints one line once every call has resolved, and then waits to be
 * killed without closing the store.
 */
import { sqliteOutboxStore } from "../../src/outbox/sqlite-outbox-store.js";

interface Settings {
  readonly path: string;
  readonly intents: number;
  readonly now: number;
}

const settings = JSON.parse(process.argv[2] ?? "{}") as Settings;
const store = sqliteOutboxStore({ path: settings.path });
const results = await Promise.all(
  Array.from({ length: settings.intents }, (_, i) =>
    store.add([{ id: `crash-${i}`, operation: "createAppointment", input: { slot: i }, idempotencyKey: `crash-key-${i}`, notBefore: settings.now }], settings.now),
  ),
);
process.stdout.write(`added ${results.flat().filter((r) => r.added).length}\n`);
setInterval(() => undefined, 60_000);
