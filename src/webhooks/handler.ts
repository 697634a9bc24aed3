/**
 * `webhookHandler`: the receiving end. It verifies each delivery on its raw body, records it
 * in the inbox by its id, answers at once, and hands each event to `onEvent` once, in the
 * background (see hand-off.ts). The answers say what a sender needs and nothing more:
 *
 * - 204: recorded now, or already recorded (a duplicate is never handed off twice);
 * - 400 malformed, 401 forged or outside the time tolerance, 405 not a POST, 408 body too
 *   slow, 413 body too large: the reason goes to `onRejected`, never into the answer;
 * - 503: the inbox failed or the receiver is closing; nothing was recorded, the sender retries.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { systemClock, type Clock } from "../runtime/core/clock.js";
import { definedOf } from "../runtime/core/settings.js";
import { WebhookConfigError, WebhookError, WebhookTimeoutError, WebhookTooLargeError, type WebhookErrorKind } from "./errors.js";
import { checkRules, checkTimeouts, checkWorkerId } from "./handler-options.js";
import { DEFAULT_HAND_OFF, startHandOff, type EventHandler, type HandOffRules } from "./hand-off.js";
import type { WebhookInbox } from "./inbox.js";
import { memoryInbox } from "./memory-inbox.js";
import { safeObserver, type WebhookObserver } from "./observe.js";
import { readIncomingBody } from "../runtime/wire/read-incoming.js";
import type { WebhookScheme } from "./schemes.js";
import type { WebhookSecret } from "./secrets.js";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_TOLERANCE_SECONDS, webhookVerifier, type VerifiedWebhook, type WebhookHeaders, type WebhookRequest } from "./verify.js";

export interface WebhookHandlerOptions<T = unknown> extends Partial<HandOffRules> {
  /** The signing secret(s): several while one is rotated out. Or give `verify`. */
  readonly secrets?: WebhookSecret | readonly WebhookSecret[];
  /** Default Standard Webhooks. */
  readonly scheme?: WebhookScheme;
  /** Default 300 s either way. */
  readonly toleranceSeconds?: number;
  /** Your own verification, instead of `secrets`. */
  readonly verify?: (request: WebhookRequest) => Promise<VerifiedWebhook<T>>;
  /** Checks and types each payload (a zod schema's `parse`). */
  readonly parse?: (payload: unknown) => T;
  /** Where events are recorded. Default: in this process's memory (pending events die with it). */
  readonly inbox?: WebhookInbox;
  /** Called once per event, in the background. A throw or a rejection is retried. Optional when the inbox turns events into outbox intents. */
  readonly onEvent?: EventHandler<T>;
  /** Largest body read. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Longest wait for the whole body. Default 10 s. */
  readonly bodyTimeoutMs?: number;
  /** Longest `close()` waits for events in flight. Default 10 s. */
  readonly closeTimeoutMs?: number;
  /** Names this instance's leases; give the same id across restarts of one instance to take its leftovers back at once. Default random. */
  readonly workerId?: string;
  readonly clock?: Clock;
  /** Told why a request was refused (the answer itself says nothing). */
  readonly onRejected?: (error: WebhookError, status: number) => void;
  /** Every accept, duplicate, rejection, hand-off, retry and dead event, for counting. */
  readonly observe?: WebhookObserver;
}

export interface WebhookResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WebhookHandler {
  /** Framework-agnostic: hand in the method, headers and the raw body (Express `express.raw()`, Next's `await req.text()`). */
  handle(request: { readonly method?: string; readonly headers: WebhookHeaders; readonly body: string | Uint8Array }): Promise<WebhookResponse>;
  /** A node:http listener: `http.createServer(handler.listener)`. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  readonly inbox: WebhookInbox;
  /** Dead events back into hand-off (attempts from 1). */
  revive(ids: readonly string[]): Promise<number>;
  /** Resolves when nothing due is waiting and nothing is in flight (tests, scripts). */
  settled(): Promise<void>;
  /** Refuses new deliveries (503), lets events in flight finish within `closeTimeoutMs`, and closes the inbox if it made it. */
  close(): Promise<void>;
}

const STATUS: Record<WebhookErrorKind, number> = {
  "webhook-signature": 401,
  "webhook-timestamp": 401,
  "webhook-malformed": 400,
  "webhook-too-large": 413,
  "webhook-timeout": 408,
  "webhook-config": 500,
  "webhook-inbox": 503,
};
const EMPTY = { "cache-control": "no-store" };

export function webhookHandler<T = unknown>(options: WebhookHandlerOptions<T>): WebhookHandler {
  const clock = options.clock ?? systemClock;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const rules: HandOffRules = { ...DEFAULT_HAND_OFF, ...definedOf<HandOffRules>(options, Object.keys(DEFAULT_HAND_OFF) as Array<keyof HandOffRules>) };
  checkRules(rules, options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS);
  checkTimeouts({ closeTimeoutMs: options.closeTimeoutMs, bodyTimeoutMs: options.bodyTimeoutMs, maxBodyBytes: options.maxBodyBytes });
  const worker = checkWorkerId(options.workerId ?? `webhooks-${globalThis.crypto.randomUUID()}`);
  // Without onEvent an event would be marked handled unseen; only an outbox intake makes that safe.
  if (options.onEvent === undefined && options.inbox?.outboxIntake !== true) throw new WebhookConfigError("webhookHandler needs `onEvent` unless its inbox turns events into outbox intents");
  const verify = options.verify ?? verifierOf(options, maxBodyBytes, clock);
  const ownInbox = options.inbox === undefined;
  const inbox = options.inbox ?? memoryInbox();
  const observe = safeObserver(options.observe);
  const onEvent: EventHandler<T> | undefined = options.onEvent;
  // A restarted instance under the same id takes back at once what it was handing off; it
  // claims nothing before, or the release would end the leases it had just taken.
  const released = options.workerId === undefined ? Promise.resolve() : inbox.release(worker, clock.now()).catch(() => observe({ type: "inbox-error", action: "release leases" }));
  const handOff = startHandOff(inbox, onEvent, options.parse, rules, clock, worker, observe, released);
  let closing = false;

  const answer = (status: number): WebhookResponse => ({ status, headers: status === 405 ? { ...EMPTY, allow: "POST" } : EMPTY, body: "" });

  function refuse(error: unknown): WebhookResponse {
    if (!(error instanceof WebhookError)) throw error;
    const status = STATUS[error.kind];
    observe({ type: "rejected", reason: error.kind, status });
    try {
      options.onRejected?.(error, status);
    } catch {
      // The app's hook must not change the answer.
    }
    return answer(status);
  }

  async function handle(request: { readonly method?: string; readonly headers: WebhookHeaders; readonly body: string | Uint8Array }): Promise<WebhookResponse> {
    if (closing) return answer(503);
    if ((request.method ?? "POST").toUpperCase() !== "POST") {
      observe({ type: "rejected", reason: "method", status: 405 });
      return answer(405);
    }
    let event: VerifiedWebhook<T>;
    try {
      event = await verify(request);
    } catch (error) {
      return refuse(error);
    }
    const eventType = event.type !== undefined ? { eventType: event.type } : {};
    let added: boolean;
    try {
      added = await inbox.accept({ id: event.id, raw: event.raw, ...(event.type !== undefined ? { type: event.type } : {}), ...(event.timestamp !== undefined ? { timestamp: event.timestamp } : {}) }, clock.now());
    } catch {
      observe({ type: "inbox-error", action: "record an event" });
      return answer(503);
    }
    observe({ type: added ? "accepted" : "duplicate", id: event.id, ...eventType });
    if (added) handOff.wake();
    return answer(204);
  }

  function listener(req: IncomingMessage, res: ServerResponse): void {
    const reply = (response: WebhookResponse) => {
      if (res.headersSent) return;
      // The body was not read to its end: the connection cannot carry another request.
      const cut = response.status === 408 || response.status === 413;
      res.writeHead(response.status, cut ? { ...response.headers, connection: "close" } : response.headers);
      res.end(response.body);
    };
    if ((req.method ?? "").toUpperCase() !== "POST") {
      req.resume();
      void handle({ method: req.method ?? "", headers: req.headers, body: "" }).then(reply);
      return;
    }
    readIncomingBody(req, {
      maxBytes: maxBodyBytes,
      timeoutMs: bodyTimeoutMs,
      clock,
      tooLarge: () => new WebhookTooLargeError(maxBodyBytes),
      tooSlow: () => new WebhookTimeoutError(bodyTimeoutMs),
    })
      .then((body) => handle({ method: "POST", headers: req.headers, body }), refuse)
      .then(reply, () => reply(answer(500)));
  }

  return {
    handle,
    listener,
    inbox,
    async revive(ids) {
      const revived = await inbox.revive(ids, clock.now());
      handOff.wake();
      return revived;
    },
    settled: () => handOff.settled(),
    async close() {
      if (closing) return;
      closing = true;
      await handOff.stop(options.closeTimeoutMs ?? 10_000);
      if (ownInbox) await inbox.close();
    },
  };
}

function verifierOf<T>(options: WebhookHandlerOptions<T>, maxBodyBytes: number, clock: Clock): (request: WebhookRequest) => Promise<VerifiedWebhook<T>> {
  if (options.secrets === undefined) throw new WebhookConfigError("webhookHandler needs `secrets` or `verify`");
  return webhookVerifier<T>({
    secrets: options.secrets,
    maxBodyBytes,
    clock,
    ...(options.scheme ? { scheme: options.scheme } : {}),
    ...(options.toleranceSeconds !== undefined ? { toleranceSeconds: options.toleranceSeconds } : {}),
    ...(options.parse ? { parse: options.parse } : {}),
  });
}
