/**
 * Checking the event numbers a notification claims against what the server says in
 * `$status` before they are trusted. A notification is only as good as the network that
 * brought it: one absurd number would otherwise open a gap no catch-up can fill and be
 * saved as the position. And a server whose count falls below the last event handled has
 * rebuilt its subscription state: every later event would look like a duplicate.
 */
import type { EventSequence } from "./event-sequence.js";
import type { Notification } from "./notification.js";

/** How far past the highest count known a notification may reach before `$status` must confirm it. */
export const MAX_UNCHECKED_JUMP = 1_000;

/** The highest event number a notification speaks of (its count, or one of its events). */
export function highestNumber(notification: Notification): number {
  return notification.events.reduce((max, e) => Math.max(max, e.eventNumber), notification.eventsSinceStart);
}

/** The notification reaches too far past what is known to be taken before `$status` confirms it. */
export function jumpsTooFar(notification: Notification, sequence: EventSequence): boolean {
  return highestNumber(notification) > sequence.highestKnown + MAX_UNCHECKED_JUMP;
}

/**
 * The notification's count is below the last event handled: a notification held back on
 * the way, or a server that started counting again. Only `$status` tells which.
 */
export function countBelowHandled(notification: Notification, sequence: EventSequence): boolean {
  return notification.type !== "handshake" && notification.eventsSinceStart > 0 && notification.eventsSinceStart < sequence.lastHandled;
}
