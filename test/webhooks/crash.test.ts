/**
 * Exactly once across a crash: a receiver process whose SQLite inbox writes each accepted
 * event's outbox intent in the same transaction is killed with SIGKILL while deliveries are
 * in flight. The sender retries whatever it got no 2xx for (and replays some it did); a new
 * receiver on the same file takes them. The outbox then holds one intent per event, no more,
 * each under the key derived from the event id.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { once } from "node:events";
import readline from "node:readline";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { intentKey } from "../../src/outbox/intent-key.js";
import { sqliteOutboxStore } from "../../src/outbox/sqlite-outbox-store.js";
import { signWebhook, sqliteInbox, webhookHandler } from "../../src/webhooks/index.js";
import { CHILD_LIMIT_MS, ROOT, childTestTimeout, tsxArgs } from "../helpers/cli.js";
import { crashIntake } from "./crash-intake.js";

const SECRET = `whsec_${Buffer.from("crash test secret of 32 bytes!!!").toString("base64")}`;
const EVENTS = 300;
const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-webhooks-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bodyOf = (i: number) => JSON.stringify({ type: "appointment.updated", data: { id: `apt-${i}` } });

async function deliver(url: string, i: number): Promise<number> {
  const headers = await signWebhook(bodyOf(i), { secret: SECRET, id: `evt_${i}` });
  try {
    return (await fetch(url, { method: "POST", body: bodyOf(i), headers })).status;
  } catch {
    return 0; // The connection died with the receiver: no answer, so the sender tries again.
  }
}

/** The receiver in a child process: its port once it listens, and a SIGKILL that resolves when the process is gone. */
async function startReceiverProcess(file: string): Promise<{ port: number; kill: () => Promise<void> }> {
  const args = tsxArgs(path.join(ROOT, "test/webhooks/crash-receiver.ts"), [JSON.stringify({ path: file, secret: SECRET })]);
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "" }, stdio: ["ignore", "pipe", "pipe"] });
  const errors: Buffer[] = [];
  child.stderr.on("data", (chunk: Buffer) => errors.push(chunk));
  const gone = once(child, "exit");
  const lines = readline.createInterface({ input: child.stdout });
  const failed = (why: string) => new Error(`the receiver ${why}; stderr:\n${Buffer.concat(errors).toString()}`);
  const limit = AbortSignal.timeout(CHILD_LIMIT_MS);
  const first = await Promise.race([once(lines, "line", { signal: limit }).then(([line]) => String(line)), gone.then(() => Promise.reject(failed("exited before listening")))]).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw limit.aborted ? failed(`did not listen within ${CHILD_LIMIT_MS} ms`) : error;
  });
  const port = Number(/^port (\d+)$/.exec(first)?.[1]);
  return {
    port,
    async kill() {
      child.kill("SIGKILL");
      await gone;
      lines.close();
    },
  };
}

describe("a receiver killed between accepting and handing off", () => {
  it(
    "leaves exactly one outbox intent per event when accepted events go to the outbox in the same transaction",
    async () => {
      const file = path.join(dir, "crash.db");
      const { port, kill } = await startReceiverProcess(file);
      // 16 deliveries in flight at a time; the receiver is killed once 150 were acknowledged.
      const acknowledged = new Set<number>();
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < EVENTS && acknowledged.size < 150; i = next++) if ((await deliver(`http://127.0.0.1:${port}/`, i)) === 204) acknowledged.add(i);
      };
      await Promise.all(Array.from({ length: 16 }, lane));
      await kill();
      expect(acknowledged.size).toBeGreaterThanOrEqual(150);

      const inbox = sqliteInbox({ path: file, outbox: crashIntake });
      const handler = webhookHandler({ secrets: SECRET, inbox });
      const server = http.createServer(handler.listener);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      try {
        const retried = Array.from({ length: EVENTS }, (_, i) => i).filter((i) => !acknowledged.has(i));
        const replayed = [...acknowledged].slice(0, 30);
        for (const i of [...retried, ...replayed]) expect(await deliver(url, i)).toBe(204);
        expect(await inbox.counts()).toEqual({ pending: 0, handled: EVENTS, dead: 0 });
      } finally {
        await handler.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await inbox.close();
      }

      const outbox = sqliteOutboxStore({ path: file });
      try {
        const intents = await outbox.list({ limit: 10_000, withBodies: true });
        expect(intents).toHaveLength(EVENTS);
        const inputs = intents.map((intent) => (intent.input as { id: string }).id).sort();
        expect(inputs).toEqual(Array.from({ length: EVENTS }, (_, i) => `apt-${i}`).sort());
        const expectedKeys = new Set(Array.from({ length: EVENTS }, (_, i) => intentKey("clinic", "syncAppointment", { businessKey: { webhook: `evt_${i}`, write: 0 } })));
        expect(new Set(intents.map((intent) => intent.idempotencyKey))).toEqual(expectedKeys);
      } finally {
        await outbox.close();
      }
    },
    childTestTimeout(1),
  );
});
