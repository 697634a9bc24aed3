/**
 * Contract-test a provider with `describeContract`: one test per operation, each calling it
 * with a request built from the spec's examples and checking the answer against the spec
 * (status declared, body valid, documented headers present). Without `baseUrl` it runs
 * against carewire's simulator of the spec; point it at a sandbox to test the real provider.
 *
 * Written for Node's own test runner (jest or vitest work too: drop `runner`, their
 * describe/it/beforeAll/afterAll globals are found):
 *
 *   node --import tsx --conditions=carewire-source --test examples/contract.test.ts
 *   SANDBOX_URL=https://sandbox.example.test CLIENT_ID=… CLIENT_SECRET=… node --import tsx --test examples/contract.test.ts
 */
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { describeContract, type TestRunner } from "carewire/testing";

const spec = fileURLToPath(new URL("../specs/clinic/openapi.yaml", import.meta.url));

const nodeRunner: TestRunner = {
  describe: (name, body) => void describe(name, body),
  it: (name, body, timeoutMs) => void it(name, { timeout: timeoutMs ?? 60_000 }, body),
  beforeAll: (body, timeoutMs) => void before(body, { timeout: timeoutMs ?? 60_000 }),
  afterAll: (body, timeoutMs) => void after(body, { timeout: timeoutMs ?? 60_000 }),
};

const sandbox = process.env["SANDBOX_URL"];
await describeContract(spec, {
  runner: nodeRunner,
  ...(sandbox === undefined
    ? {}
    : { baseUrl: sandbox, credentials: { clientId: process.env["CLIENT_ID"] ?? "", clientSecret: process.env["CLIENT_SECRET"] ?? "" } }),
});
