/**
 * `describeContract(spec, options)`: one test per operation in the caller's test
 * runner (jest, or any runner with describe/it/beforeAll/afterAll globals, or passed
 * in). The spec is loaded before the tests are declared, so call it with `await` at
 * the top level of an ESM test file:
 *
 *   await describeContract("specs/clinic/openapi.yaml");
 *   await describeContract("specs/clinic/openapi.yaml", { baseUrl: process.env.SANDBOX_URL });
 */
import { openContractSession, type ContractOptions, type ContractSession } from "./contract.js";
import { SpecModel } from "./simulator/spec-model.js";

type Block = () => void | Promise<void>;

export interface TestRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: Block, timeoutMs?: number): void;
  beforeAll(body: Block, timeoutMs?: number): void;
  afterAll(body: Block, timeoutMs?: number): void;
}

export async function describeContract(spec: string, options: ContractOptions & { readonly runner?: TestRunner } = {}): Promise<void> {
  const runner = options.runner ?? globalRunner();
  // Load once up front only to name the tests; the session loads again inside beforeAll.
  const model = await SpecModel.load(spec);
  const wanted = options.operations ? new Set(options.operations) : undefined;
  const routes = model.documentOrder.filter((r) => !wanted || wanted.has(r.op.operationId));
  runner.describe(`contract: ${spec}${options.baseUrl ? ` at ${options.baseUrl}` : " (carewire simulator)"}`, () => {
    let session: ContractSession | undefined;
    runner.beforeAll(async () => {
      session = await openContractSession(spec, options);
    }, 60_000);
    runner.afterAll(async () => {
      await session?.close();
    });
    for (const route of routes) {
      runner.it(`${route.op.operationId}: ${route.op.method.toUpperCase()} ${route.op.path}`, async () => {
        if (!session) throw new Error("the contract session did not start");
        const check = await session.check(route.op.operationId);
        if (check.outcome === "failed") throw new Error(`${route.op.operationId} broke the contract (status ${String(check.status)}):\n  - ${check.problems.join("\n  - ")}`);
        // Without strict, a refused request is left to the report: the test runner has no "not exercised".
        if (check.outcome === "not-exercised" && options.strict === true) throw new Error(`${route.op.operationId} was not exercised: ${check.reason ?? ""}`);
      }, 60_000);
    }
  });
}

function globalRunner(): TestRunner {
  const g = globalThis as unknown as Partial<TestRunner>;
  if (typeof g.describe !== "function" || typeof g.it !== "function" || typeof g.beforeAll !== "function" || typeof g.afterAll !== "function") {
    throw new Error("describeContract needs a test runner's describe/it/beforeAll/afterAll globals, or pass { runner }");
  }
  return g as TestRunner;
}
