/**
 * The subscription helper's own failures, as classes with a stable `kind`. None quotes a
 * notification's body or a channel secret: both may hold PHI or credentials.
 */

export abstract class SubscriptionError extends Error {
  abstract readonly kind: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

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
  constructor() {
    super("the notification does not carry the channel header this subscription set");
  }
}

/** The body is larger than the receiver reads. */
export class NotificationTooLargeError extends NotificationRejectedError {
  readonly kind = "notification-too-large" as const;
  readonly status = 413;
  constructor(readonly maxBytes: number) {
    super(`a notification is limited to ${maxBytes} bytes`);
  }
}

/** A notification for another Subscription than this receiver's. */
export class ForeignNotificationError extends NotificationRejectedError {
  readonly kind = "notification-foreign" as const;
  readonly status = 400;
  constructor() {
    super("the notification is for another subscription");
  }
}

/** The Subscription could not be found, created or reactivated; `cause` is the FHIR call's typed error. */
export class SubscriptionSetupError extends SubscriptionError {
  readonly kind = "subscription-setup" as const;
}

/** The checkpoint store could not be read or written, or holds a damaged position. */
export class SubscriptionCheckpointError extends SubscriptionError {
  readonly kind = "subscription-checkpoint" as const;
}

/** An answer of `$status` or `$events` that is not what the operation returns. */
export class SubscriptionStatusError extends SubscriptionError {
  readonly kind = "subscription-status" as const;
}
