/**
 * A large spec's types are made in a worker thread (so openapi-typescript's syntax tree never
 * shares a heap with carewire's own reading of the spec); what the worker makes is exactly
 * what the in-process run writes, and its failures come back as errors, not a hang.
 */
import { describe, expect, it } from "@jest/globals";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runGenerate } from "carewire/codegen";
import { OpenApiTypesError, typesInWorker } from "../../src/codegen/types-in-worker.js";
import { ROOT } from "../helpers/cli.js";
import { tempDirForFile } from "../helpers/temp-dir.js";

const tmp = tempDirForFile("types-worker");
const SPEC = path.resolve(ROOT, "../shared/specs-public/drchrono.openapi.yaml");

describe("types made in a worker thread", () => {
  it("are the types the in-process run writes into schema.d.ts", async () => {
    await runGenerate({ mode: "single", spec: SPEC, outDir: tmp("drchrono"), name: "drchrono", check: false });
    const written = await readFile(tmp("drchrono/schema.d.ts"), "utf8");
    const types = await typesInWorker(SPEC);
    expect(types.length).toBeGreaterThan(10_000);
    // schema.d.ts is the generated-file header, a blank line, then the types.
    expect(written.endsWith(`\n\n${types}`)).toBe(true);
  });

  it("rejects with openapi-typescript's refusal when it cannot read the file", async () => {
    const refusal = typesInWorker(tmp("no-such-spec.json"));
    await expect(refusal).rejects.toBeInstanceOf(OpenApiTypesError);
    await expect(refusal).rejects.toThrow(/no-such-spec\.json/);
  });
});
