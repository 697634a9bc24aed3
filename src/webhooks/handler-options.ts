/**
 * The receiver's options checked once, at start: a bad number or worker id would otherwise
 * fail quietly later (every claim refused and events pending for ever, a poll that never
 * yields, a concurrency that hands off nothing, a dedupe window shorter than the replay one).
 */
import { WebhookConfigError } from "./errors.js";
import type { HandOffRules } from "./hand-off.js";
import { checkWorker } from "./inbox.js";

/** Polling faster than this would keep the event loop busy asking the inbox. */
export const MIN_POLL_MS = 10;
const MAX_CONCURRENCY = 1_000;

function positiveInteger(value: number, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new WebhookConfigError(`${name} must be an integer from ${min} to ${max}`);
  }
}

export function checkRules(rules: HandOffRules, toleranceSeconds: number): void {
  positiveInteger(rules.concurrency, "concurrency", 1, MAX_CONCURRENCY);
  positiveInteger(rules.maxAttempts, "maxAttempts");
  positiveInteger(rules.backoffMs, "backoffMs");
  positiveInteger(rules.maxBackoffMs, "maxBackoffMs");
  positiveInteger(rules.attemptTimeoutMs, "attemptTimeoutMs");
  positiveInteger(rules.pollMs, "pollMs", MIN_POLL_MS);
  positiveInteger(rules.retentionMs, "retentionMs");
  if (typeof rules.random !== "function") throw new WebhookConfigError("random must be a function returning a number in [0, 1)");
  // A handled id forgotten while its delivery is still inside the tolerance could be replayed in again.
  if (rules.retentionMs < 2 * toleranceSeconds * 1000) throw new WebhookConfigError("retentionMs must be at least twice the timestamp tolerance");
}

export function checkTimeouts(values: { readonly closeTimeoutMs?: number; readonly bodyTimeoutMs?: number; readonly maxBodyBytes?: number }): void {
  for (const [name, value] of Object.entries(values)) if (value !== undefined) positiveInteger(value, name);
}

export function checkWorkerId(worker: string): string {
  try {
    return checkWorker(worker);
  } catch {
    throw new WebhookConfigError("workerId must be 1 to 200 characters without /");
  }
}
