/**
 * A Stainless SDK on carewireFetch: the `openai` package (its own retries off, as
 * recommended) against the simulator serving a small OpenAI-shaped spec, over real HTTP on
 * 127.0.0.1, on one stepped clock shared with the simulator.
 */
import path from "node:path";
import { describe, expect, it } from "@jest/globals";
import OpenAI from "openai";
import type { CarewireFetchOptions } from "carewire";
import type { SimulatorOptions } from "carewire/testing";
import { ROOT } from "../helpers/cli.js";
import { KEYS_HONOURED } from "../helpers/operation.js";
import { byOperation, fetchOnSimulator } from "../helpers/fetch-on-simulator.js";
import { simulatorPool } from "../helpers/simulator.js";

const CHAT_SPEC = path.join(ROOT, "test/fixtures/openai-shaped/openapi.yaml");
const sims = simulatorPool();

/** A simulator serving the chat spec and the openai SDK on carewireFetch, on one stepped clock. */
async function setup(simulator: Partial<SimulatorOptions>, adapter: Partial<CarewireFetchOptions> = {}) {
  const onSim = await fetchOnSimulator((now) => sims.start({ spec: CHAT_SPEC, clock: now, rateLimit: false, ...simulator }), { provider: "chat", ...adapter });
  // The SDK's own retries off: carewire retries, so an SDK retry would multiply attempts.
  const openai = new OpenAI({ apiKey: "sk-test-not-a-secret", baseURL: onSim.sim.url, fetch: onSim.fetch, maxRetries: 0 });
  return { ...onSim, openai };
}

const ask = (openai: OpenAI, content: string, options?: OpenAI.RequestOptions) => openai.chat.completions.create({ model: "model-small", messages: [{ role: "user", content }] }, options);

describe("the openai SDK on carewireFetch, against the simulator", () => {
  it("retries a 503 after its Retry-After: the SDK sees one success, carewire two attempts", async () => {
    const { sim, openai, clock, reports } = await setup({});
    sim.faults.enqueue("listModels", [{ kind: "status", status: 503, retryAfter: 5 }]);
    const started = clock.now();

    const models = await clock.run(openai.models.list());

    expect(models.data.map((m) => m.id)).toEqual(["model-small"]);
    expect(byOperation(sim, "listModels").map((e) => e.status)).toEqual([503, 200]);
    expect(reports[0]!.meta).toMatchObject({ provider: "chat", operationId: "GET /models", path: "/models" });
    expect(reports[0]!.meta.attempts.map((a) => a.status)).toEqual([503, 200]);
    expect(clock.now() - started).toBeGreaterThanOrEqual(5_000);
  });

  it("paces completions under the quota: 9 at 3 per 10 s, no 429, no window over 3", async () => {
    const { sim, openai, clock } = await setup({ rateLimit: { limit: 3, windowSeconds: 10 } }, { pacing: { limit: 3, windowMs: 10_000 } });
    const started = clock.now();

    const answers = await clock.run(Promise.all(Array.from({ length: 9 }, (_, n) => ask(openai, `question ${n}`))));

    expect(answers.map((a) => a.object)).toEqual(Array(9).fill("chat.completion"));
    expect(sim.counters.rateLimited).toBe(0);
    const times = sim.log.map((e) => Date.parse(e.time)).sort((a, b) => a - b);
    for (const at of times) expect(times.filter((t) => t >= at && t < at + 10_000).length).toBeLessThanOrEqual(3);
    expect(clock.now() - started).toBeGreaterThanOrEqual(20_000);
  });

  it("waits out a 429 by its Retry-After and sends the same Idempotency-Key again", async () => {
    const { sim, openai, clock, reports } = await setup({ rateLimit: { limit: 1, windowSeconds: 30 } });
    await clock.run(ask(openai, "first"));
    const before = clock.now();

    const second = await clock.run(ask(openai, "second"));

    expect(second.object).toBe("chat.completion");
    const sent = byOperation(sim, "createChatCompletion").slice(1);
    expect(sent.map((e) => e.status)).toEqual([429, 200]);
    expect(sent[1]!.idempotencyKey).toBe(sent[0]!.idempotencyKey);
    expect(reports[1]!.meta.idempotencyKey).toBe(sent[0]!.idempotencyKey);
    expect(clock.now() - before).toBeGreaterThanOrEqual(1_000);
  });

  it("without a declared key, does not send a completion again after a reset after the commit: the SDK gets the unknown outcome", async () => {
    const { sim, openai, clock, reports } = await setup({});
    sim.faults.enqueue("createChatCompletion", [{ kind: "reset-after-commit" }]);

    const failure = await clock.run(ask(openai, "once only").then(() => undefined, (error: unknown) => error));

    expect(failure).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(byOperation(sim, "createChatCompletion").map((e) => e.fault)).toEqual(["reset-after-commit"]);
    expect(sim.counters.writesCommitted).toBe(1);
    expect(reports[0]!.error).toMatchObject({ kind: "unknown-outcome", replaySafe: false });
  });

  it("with the provider's key declared, gives a completion one key across a reset after the commit: replayed by the server, not applied twice", async () => {
    const { sim, openai, clock, reports } = await setup({}, { hints: KEYS_HONOURED });
    sim.faults.enqueue("createChatCompletion", [{ kind: "reset-after-commit" }]);

    const answer = await clock.run(ask(openai, "once only"));

    expect(answer.choices[0]!.finish_reason).toBe("stop");
    const sent = byOperation(sim, "createChatCompletion");
    expect(sent.map((e) => [e.fault, e.replayed])).toEqual([
      ["reset-after-commit", false],
      ["none", true],
    ]);
    expect(new Set(sent.map((e) => e.idempotencyKey))).toEqual(new Set([reports[0]!.meta.idempotencyKey]));
    expect(sim.counters.writesCommitted).toBe(1);
    expect(sim.counters.duplicates).toBe(0);
  });

  it("honours a key the caller gives through the SDK, on every attempt", async () => {
    const { sim, openai, clock, reports } = await setup({});
    sim.faults.enqueue("createChatCompletion", [{ kind: "status", status: 502 }]);

    await clock.run(ask(openai, "keyed", { headers: { "Idempotency-Key": "order-42-summary" } }));

    expect(byOperation(sim, "createChatCompletion").map((e) => [e.status, e.idempotencyKey])).toEqual([
      [502, "order-42-summary"],
      [200, "order-42-summary"],
    ]);
    expect(reports[0]!.meta.idempotencyKey).toBe("order-42-summary");
  });

  it("turns a failure with no response into the SDK's connection error, carewire's typed error as its cause", async () => {
    const { sim, openai, clock, reports } = await setup({}, { retry: { maxAttempts: 2 } });
    sim.faults.enqueue("listModels", [{ kind: "reset-before" }, { kind: "reset-before" }]);

    const failure = await clock.run(openai.models.list()).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(OpenAI.APIConnectionError);
    expect((failure as InstanceType<typeof OpenAI.APIConnectionError>).cause).toMatchObject({ kind: "network" });
    expect(reports[0]!.meta.attempts).toHaveLength(2);
    expect(byOperation(sim, "listModels")).toHaveLength(2);
  });
});
