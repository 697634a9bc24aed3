/**
 * What the runtime tests over a real socket share: one scripted server per test file, and
 * pipelines against it with only the policy a test is about turned on, so that no other
 * policy retries, paces, caches or refuses behind the test's back.
 */
import { afterAll, beforeAll } from "@jest/globals";
import { createPipeline, type Pipeline, type PipelineOptions } from "carewire";
import { startServer, type Handler, type TestServer } from "./http-server.js";

/**
 * A server on 127.0.0.1 for the whole test file: started before its first test, closed
 * after its last. Use it inside tests (or hooks that run after the file's first beforeAll).
 */
export function serverForFile(initial?: Handler): TestServer {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startServer(initial);
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): TestServer => {
    if (started === undefined) throw new Error("the file's test server starts in beforeAll: use it inside a test");
    return started;
  };
  return {
    get url() {
      return current().url;
    },
    get requests() {
      return current().requests;
    },
    handle: (handler) => current().handle(handler),
    close: () => current().close(),
  };
}

/** Options of a test pipeline: everything a client takes, the provider and base URL already set. */
export type TestPipelineOptions = Omit<PipelineOptions, "provider" | "baseUrl">;

/**
 * A pipeline for provider `acme` at `baseUrl` with retry, breaker, cache and pacing off
 * unless `options` turns one on. (Idempotency keys stay on: they decide nothing.)
 */
export function pipelineWith(baseUrl: string, options: TestPipelineOptions = {}): Pipeline {
  return createPipeline({ provider: "acme", baseUrl, retry: false, breaker: false, cache: false, pacing: false, ...options });
}
