/**
 * The outbox gauges: depth and dead letters read from `status()` at each collection, nothing
 * when the read fails or is too slow, and nothing after `stop()`.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import * as api from "@opentelemetry/api";
import { observeOutbox, type OutboxCounts } from "carewire/outbox";
import { recordInMemory, type Recorded } from "./support.js";

let recorded: Recorded | undefined;
afterEach(async () => {
  await recorded?.shutdown();
  recorded = undefined;
});

const counts = (pending: number, dead: number): OutboxCounts => ({ pending, due: pending, leased: 0, committed: 10, dead });

describe("observeOutbox", () => {
  it("reports the outbox's depth and dead letters when the reader collects", async () => {
    recorded = recordInMemory();
    let now = counts(4, 1);
    let reads = 0;
    const outbox = { status: async () => (reads++, now) };
    const observation = observeOutbox(outbox, { api, meterProvider: recorded.meterProvider, name: "referrals" });

    expect(observation.active).toBe(true);
    expect((await recorded.points("carewire.outbox.depth")).map((p) => [p.value, p.attributes])).toEqual([[4, { "carewire.outbox.name": "referrals" }]]);
    now = counts(2, 3);
    expect((await recorded.points("carewire.outbox.dead_letters")).map((p) => p.value)).toEqual([3]);
    expect(reads).toBe(2);

    observation.stop();
    await recorded.points("carewire.outbox.depth");
    expect(reads).toBe(2);
  });

  it("reports nothing for a read that fails or does not answer in time, and never throws", async () => {
    recorded = recordInMemory();
    observeOutbox({ status: () => Promise.reject(new Error("database gone")) }, { api, meterProvider: recorded.meterProvider, name: "failing" });
    observeOutbox({ status: () => new Promise<OutboxCounts>(() => undefined) }, { api, meterProvider: recorded.meterProvider, name: "stuck", timeoutMs: 20 });
    expect(await recorded.points("carewire.outbox.depth")).toEqual([]);
  });

  it("is inactive with no meter provider registered", () => {
    const observation = observeOutbox({ status: async () => counts(0, 0) }, { api });
    expect(observation.active).toBe(false);
    expect(() => observation.stop()).not.toThrow();
  });
});
