/** FHIR topic-based Subscriptions with no gaps (exported from `carewire/fhir`). */
export { fhirSubscription, type FhirSubscription, type FhirSubscriptionOptions } from "./fhir-subscription.js";
export { readNotification, parseNotification, type Notification, type NotificationType, type SubscriptionEvent, type SubscriptionStatusCode } from "./notification.js";
export { memorySubscriptionCheckpoint, type SubscriptionCheckpointStore, type SubscriptionPosition } from "./checkpoint-store.js";
export { sqliteSubscriptionCheckpoint } from "./sqlite-checkpoint-store.js";
export type { SqliteLocation } from "../../outbox/durable-sqlite.js";
export { postgresSubscriptionCheckpoint, type PostgresSubscriptionCheckpointOptions } from "./postgres-checkpoint-store.js";
export { fhirSubscriptionServer, type SubscriptionServer } from "./subscription-server.js";
export { notificationListener, type NotificationHeaders } from "./receiver.js";
export { subscriptionResource, type PayloadContent } from "./subscription-resource.js";
export type { SubscriptionAlarm, SubscriptionNote } from "./subscription-notes.js";
export {
  ForeignNotificationError,
  MalformedNotificationError,
  NotificationRejectedError,
  NotificationTimeoutError,
  NotificationTooLargeError,
  SubscriptionCheckpointError,
  SubscriptionError,
  SubscriptionGoneError,
  SubscriptionSetupError,
  UnauthorizedNotificationError,
} from "./errors.js";
