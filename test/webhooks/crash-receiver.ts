/**
 * A receiver in its own process, to be killed with SIGKILL mid-stream:
 * `tsx test/webhooks/crash-receiver.ts '<settings json>'`. Its SQLite inbox turns each
 * accepted event into an outbox intent in the same transaction. It prints its port, then
 * serves until it is killed (never closing anything).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { sqliteInbox, webhookHandler } from "../../src/webhooks/index.js";
import { crashIntake } from "./crash-intake.js";

const settings = JSON.parse(process.argv[2] ?? "{}") as { path: string; secret: string };
const handler = webhookHandler({ secrets: settings.secret, inbox: sqliteInbox({ path: settings.path, outbox: crashIntake }) });
const server = http.createServer(handler.listener);
server.listen(0, "127.0.0.1", () => process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`));
