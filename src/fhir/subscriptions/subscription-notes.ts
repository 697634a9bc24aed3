/**
 * What the subscription helper tells operators: alarms (something needs attention) and
 * notes (what it did), as plain data with no PHI: numbers, kinds and durations only.
 */
import { SubscriptionGoneError } from "./errors.js";

/** Something a person may have to look at. */
export type SubscriptionAlarm =
  /** Nothing arrived for a heartbeat period plus the margin; the helper asks `$status` next. */
  | { readonly kind: "heartbeat-missed"; readonly subscriptionId: string; readonly silentMs: number }
  /** The server reports the Subscription `error` or `off` (reactivation follows when enabled). */
  | { readonly kind: "subscription-inactive"; readonly subscriptionId: string; readonly status: string; readonly reactivating: boolean }
  /** A catch-up or status call failed (its error's kind); it is tried again at the next notification or heartbeat alarm. */
  | { readonly kind: "catch-up-failed"; readonly subscriptionId: string; readonly errorKind: string }
  /** The server answered 404 for the Subscription (deleted, or its state rebuilt); nothing more can be caught up until an operator acts. */
  | { readonly kind: "subscription-gone"; readonly subscriptionId: string }
  /**
   * `$status` counts fewer events than this receiver already handled: the server rebuilt the
   * Subscription's state and numbers events anew. The helper does not guess which new numbers
   * it has seen; events numbered at or below `lastHandled` are dropped as duplicates until an
   * operator resyncs (see the docs: a new Subscription and checkpoint key).
   */
  | { readonly kind: "counter-reset"; readonly subscriptionId: string; readonly lastHandled: number; readonly serverCount: number }
  /** A notification named an event number far past anything known, and `$status` does not confirm it: the notification was not taken. */
  | { readonly kind: "event-number-refused"; readonly subscriptionId: string; readonly eventNumber: number; readonly serverCount: number }
  /** An event's focus is of another type than the subscription's: it was not handed over (the app may poll that resource). */
  | { readonly kind: "focus-refused"; readonly subscriptionId: string; readonly eventNumber: number }
  /** The app's `onEvent` threw; the event stays next in line and is offered again later. */
  | { readonly kind: "handler-failed"; readonly subscriptionId: string; readonly eventNumber: number };

/** What the helper did, for metrics and logs. */
export type SubscriptionNote =
  | { readonly kind: "gap-detected"; readonly from: number; readonly to: number }
  | { readonly kind: "caught-up"; readonly from: number; readonly to: number; readonly events: number; readonly ms: number; readonly via: "events" | "search" }
  | { readonly kind: "duplicate-dropped"; readonly eventNumber: number }
  /** An event about a version older than one a search catch-up already handed over. */
  | { readonly kind: "stale-dropped"; readonly eventNumber: number }
  | { readonly kind: "heartbeat-missed"; readonly silentMs: number }
  | { readonly kind: "reactivated" };

/** The alarm for work that failed: the Subscription gone, or a catch-up to try again (with the error's kind, never its message). */
export function failureAlarm(error: unknown, subscriptionId: string): SubscriptionAlarm {
  if (error instanceof SubscriptionGoneError) return { kind: "subscription-gone", subscriptionId };
  const kind = (error as { kind?: unknown } | null)?.kind;
  return { kind: "catch-up-failed", subscriptionId, errorKind: typeof kind === "string" ? kind : "unexpected" };
}
