/**
 * The notification endpoint's edge: the channel header checked in constant time, the body
 * read up to a size and a time bound, and a node:http listener that answers 200 for a
 * notification taken in, or the rejection's status with an OperationOutcome that names the
 * reason only (never the body).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { nodeBuiltin } from "../../runtime/portable/node-builtin.js";
import { systemClock, type Clock } from "../../runtime/core/clock.js";
import { readIncomingBody } from "../../runtime/wire/read-incoming.js";
import { NotificationRejectedError, NotificationTimeoutError, NotificationTooLargeError, UnauthorizedNotificationError } from "./errors.js";

export type NotificationHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export const DEFAULT_MAX_NOTIFICATION_BYTES = 1024 * 1024;
const READ_TIMEOUT_MS = 10_000;

/** Equal strings, compared in time that tells nothing of where they differ (digests first: equal lengths, whatever was sent). */
function sameSecret(a: string, b: string): boolean {
  // Fetched when used: `carewire/fhir` stays free of Node built-ins for browser bundles.
  const crypto = nodeBuiltin("node:crypto", "checking a notification's channel header");
  const digest = (text: string) => crypto.createHash("sha256").update(text).digest();
  return crypto.timingSafeEqual(digest(a), digest(b));
}

/** Throws UnauthorizedNotificationError unless `headers` carry `expected` (`Name: value`). */
export function checkChannelHeader(headers: NotificationHeaders, expected: string | undefined): void {
  if (expected === undefined) return;
  const colon = expected.indexOf(":");
  const name = expected.slice(0, colon).trim().toLowerCase();
  const wanted = expected.slice(colon + 1).trim();
  const found = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const value = Array.isArray(found) ? found.join(", ") : found;
  if (typeof value !== "string" || !sameSecret(value.trim(), wanted)) throw new UnauthorizedNotificationError("the notification does not carry the channel header this subscription set");
}

/** What the listener hands a notification to. */
export interface NotificationSink {
  receive(body: string | Uint8Array, headers: NotificationHeaders): Promise<unknown>;
}

function answer(res: ServerResponse, status: number, diagnostics: string): void {
  const body = JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: status < 300 ? "information" : "error", code: status < 300 ? "informational" : "invalid", diagnostics }] });
  res.writeHead(status, { "content-type": "application/fhir+json", "content-length": String(Buffer.byteLength(body)), ...(status === 413 || status === 408 ? { connection: "close" } : {}) });
  res.end(body);
}

/** A node:http listener for the notification endpoint (mount it on the path the Subscription names). */
export function notificationListener(sink: NotificationSink, maxBytes: number, clock: Clock = systemClock): (req: IncomingMessage, res: ServerResponse) => void {
  const limits = { maxBytes, timeoutMs: READ_TIMEOUT_MS, clock, tooLarge: () => new NotificationTooLargeError(maxBytes), tooSlow: () => new NotificationTimeoutError(READ_TIMEOUT_MS) };
  return (req, res) => {
    if ((req.method ?? "").toUpperCase() !== "POST") return answer(res, 405, "notifications are POSTed");
    readIncomingBody(req, limits)
      .then((body) => sink.receive(body, req.headers))
      .then(
        () => answer(res, 200, "received"),
        (error: unknown) => {
          if (res.headersSent) return void res.destroy();
          if (error instanceof NotificationRejectedError) return answer(res, error.status, error.message);
          answer(res, 500, "the notification could not be taken in");
        },
      );
  };
}
