/**
 * `carewire/webhooks`: verified webhook intake. `verifyWebhook` checks a delivery on its raw
 * body (Standard Webhooks by default, other schemes by a small object); `webhookHandler`
 * verifies, records each event once by its id in an inbox, answers at once and hands each
 * event to the app once in the background, retrying failures and parking what keeps failing.
 * SQLite (better-sqlite3), PostgreSQL (pg) and Redis (ioredis) are optional peer
 * dependencies, loaded only by the inbox that needs them.
 */
export { verifyWebhook, webhookVerifier, DEFAULT_MAX_BODY_BYTES, DEFAULT_TOLERANCE_SECONDS, type VerifiedWebhook, type VerifyOptions, type WebhookHeaders, type WebhookRequest } from "./verify.js";
export { signWebhook, type SignOptions } from "./sign.js";
export { standardWebhooks, hubSignature256, timestampPairs, type SignedParts, type WebhookScheme } from "./schemes.js";
export type { WebhookSecret } from "./secrets.js";
export {
  WebhookConfigError,
  WebhookError,
  WebhookInboxError,
  WebhookMalformedError,
  WebhookSignatureError,
  WebhookTimeoutError,
  WebhookTimestampError,
  WebhookTooLargeError,
  type WebhookErrorKind,
} from "./errors.js";
export { webhookHandler, type WebhookHandler, type WebhookHandlerOptions, type WebhookResponse } from "./handler.js";
export { DEFAULT_HAND_OFF, HandOffTimeoutError, type EventHandler, type HandOffContext, type HandOffRules } from "./hand-off.js";
export type { WebhookObservation, WebhookObserver } from "./observe.js";
export type { InboxClaim, InboxCounts, InboxEntry, InboxRecord, InboxStatus, Settlement, WebhookInbox } from "./inbox.js";
export { memoryInbox } from "./memory-inbox.js";
export { sqliteInbox, type SqliteInboxOptions } from "./sqlite-inbox.js";
export { postgresInbox, type PostgresInboxOptions } from "./postgres-inbox.js";
export { redisInbox, type RedisInboxOptions } from "./redis-inbox.js";
export type { RedisClient, RedisTarget } from "../runtime/stores/redis/redis-target.js";
export type { OutboxIntake, OutboxWrite } from "./outbox-intake.js";
