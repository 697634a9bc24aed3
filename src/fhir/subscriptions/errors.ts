/**
 * The subscription helper's own failures, as classes with a stable `kind`. None quotes a
 * notification's body or a channel secret: both may hold PHI or credentials.
 */
import { KindedError } from "../../runtime/core/kinded-error.js";

export abstract class SubscriptionError extends KindedError {}

/** A notification the receiver refused; `status` is what the endpoint answers the server with. Nothing of it was handled. */
export abstract class NotificationRejectedError extends SubscriptionError {
  abstract readonly status: number;
}

/** The body is not a notification Bundle this helper can read (not JSON, not a history Bundle, no status, bad event numbers). */
export class MalformedNotificationError extends NotificationRejectedError {
  readonly kind = "notification-malformed" as const;
  readonly status = 400;
}

/** The channel header the Subscription asked the server to send back is missing or differs. */
export class UnauthorizedNotificationError extends NotificationRejectedError {
  readonly kind = "notification-unauthorized" as const;
  readonly status = 401;
}

/** The body is larger than the receiver reads. */
export class NotificationTooLargeError extends NotificationRejectedError {
  readonly kind = "notification-too-large" as const;
  readonly status = 413;
  constructor(readonly maxBytes: number) {
    super(`a notification is limited to ${maxBytes} bytes`);
  }
}

/** The body did not arrive within the receiver's deadline (a sender trickling bytes). */
export class NotificationTimeoutError extends NotificationRejectedError {
  readonly kind = "notification-timeout" as const;
  readonly status = 408;
  constructor(readonly timeoutMs: number) {
    super(`a notification must arrive within ${timeoutMs} ms`);
  }
}

/** A notification for another Subscription than this receiver's. */
export class ForeignNotificationError extends NotificationRejectedError {
  readonly kind = "notification-foreign" as const;
  readonly status = 400;
}

/**
 * Starting failed: the Subscription could not be found or created (`cause`: the FHIR
 * call's typed error), or the server's Subscription has no id.
 */
export class SubscriptionSetupError extends SubscriptionError {
  readonly kind = "subscription-setup" as const;
}

/**
 * The checkpoint store could not be read or written (`cause`: the driver's error), holds a
 * damaged position, or was handed a position no store keeps.
 */
export class SubscriptionCheckpointError extends SubscriptionError {
  readonly kind = "subscription-checkpoint" as const;
}

/**
 * The server no longer knows the Subscription (`$status` or `$events` answered 404): it was
 * deleted or the server's state was rebuilt. An operator decides whether to start anew.
 */
export class SubscriptionGoneError extends SubscriptionError {
  readonly kind = "subscription-gone" as const;
}
