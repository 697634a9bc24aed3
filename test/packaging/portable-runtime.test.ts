/**
 * The code a generated client runs is portable: bundled for browsers (esbuild, platform
 * "browser"), a generated OpenAPI or FHIR client reaches no Node built-in and no zod, and
 * the pure-JS SHA-256 that replaced `node:crypto` gives the same digests.
 */
import { describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import path from "node:path";
import { build } from "esbuild";
import { portableSha256Hex, sha256Hex } from "../../src/runtime/portable/sha256.js";
import { randomId } from "../../src/runtime/portable/random-id.js";
import { deriveIdempotencyKey } from "carewire";
import { ROOT } from "../helpers/cli.js";
import { nodeBuiltinsExternal, nodeImportsOf } from "../../scripts/consumer/node-imports.js";

async function browserBundle(entry: string) {
  const result = await build({
    entryPoints: [path.join(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: "browser",
    format: "esm",
    conditions: ["carewire-source"],
    plugins: [nodeBuiltinsExternal],
    logLevel: "silent",
  });
  return result.metafile;
}

describe("a generated client bundled for the browser", () => {
  it.each(["generated/clinic/index.ts", "generated/fhir-r4/index.ts"])("%s imports no Node built-in and no zod", async (entry) => {
    const metafile = await browserBundle(entry);
    expect(nodeImportsOf(metafile)).toEqual([]);
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((input) => input.includes("node_modules/zod/"))).toEqual([]);
    // The runtime itself is in the bundle (not left external), so the check above saw it.
    expect(inputs).toContain("src/runtime/core/pipeline.ts");
  });

  it("finds a Node built-in when one is reachable", async () => {
    const metafile = await browserBundle("src/reconcile/index.ts");
    expect(nodeImportsOf(metafile)).toEqual(expect.arrayContaining([expect.stringMatching(/^node:fs <- src\/reconcile\/sources\.ts$/)]));
  });
});

describe("portable hashing and ids", () => {
  it.each([
    ["empty", ""],
    ["one block", "abc"],
    ["padding spills into a second block", "a".repeat(56)],
    ["exactly one block", "b".repeat(64)],
    ["non-ASCII", "Zoë 😀 ".repeat(300)],
    ["large", "x".repeat(200_000)],
  ])("SHA-256 of %s equals node:crypto's, in plain JavaScript and natively", (_label, text) => {
    const expected = createHash("sha256").update(text).digest("hex");
    expect(portableSha256Hex(text)).toBe(expected);
    expect(sha256Hex(text)).toBe(expected);
  });

  it("keeps derived idempotency keys as they were", () => {
    const key = deriveIdempotencyKey("clinic", "createPatient", { mrn: "MRN-1" });
    expect(key).toBe(`cw1-${createHash("sha256").update(JSON.stringify(["clinic", "createPatient", { mrn: "MRN-1" }])).digest("hex").slice(0, 40)}`);
  });

  it("makes distinct version-4 UUIDs, across refills of its pool of random bytes", () => {
    const ids = Array.from({ length: 1_000 }, randomId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
