/**
 * The receiver's options are checked when it is made: a bad worker id, number or window
 * throws WebhookConfigError at once instead of failing quietly later (claims refused for
 * ever, a poll that starves the event loop, nothing handed off, events marked handled unseen).
 */
import { describe, expect, it } from "@jest/globals";
import { memoryInbox, WebhookConfigError, webhookHandler } from "../../src/webhooks/index.js";

const SECRET = "options-test-secret";

describe("options checked at start", () => {
  const onEvent = () => undefined;
  it.each([
    ["a worker id with a slash (every claim would fail)", { workerId: "eu/pod-1" }],
    ["an empty worker id", { workerId: "" }],
    ["a poll so fast it starves the event loop", { pollMs: 0 }],
    ["a zero concurrency (nothing handed off)", { concurrency: 0 }],
    ["a NaN concurrency", { concurrency: Number.NaN }],
    ["a fractional maxAttempts", { maxAttempts: 1.5 }],
    ["an infinite attempt bound", { attemptTimeoutMs: Number.POSITIVE_INFINITY }],
    ["a negative close bound", { closeTimeoutMs: -1 }],
    ["a dedupe window shorter than twice the replay window", { retentionMs: 599_999 }],
    ["a dedupe window shorter than twice a longer tolerance", { retentionMs: 3_600_000, toleranceSeconds: 3_600 }],
    ["a random source that is not a function", { random: 0.5 as unknown as () => number }],
  ] as const)("refuses %s with a WebhookConfigError", (_what, bad) => {
    expect(() => webhookHandler({ secrets: SECRET, onEvent, ...bad })).toThrow(WebhookConfigError);
  });

  it("accepts the bounds themselves", async () => {
    const handler = webhookHandler({ secrets: SECRET, onEvent, workerId: "eu-pod-1", pollMs: 10, concurrency: 1, retentionMs: 600_000 });
    await handler.close();
  });

  it("needs onEvent unless the inbox turns events into outbox intents (else every event would be marked handled unseen)", () => {
    expect(() => webhookHandler({ secrets: SECRET })).toThrow(WebhookConfigError);
    expect(() => webhookHandler({ secrets: SECRET, inbox: memoryInbox() })).toThrow(/onEvent/);
  });
});
