/**
 * `carewire generate` on a FHIR CapabilityStatement: only what the statement declares is
 * generated, and a malformed statement is one SpecError naming file, pointer and reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runGenerate } from "carewire/codegen";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-capability-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const statement = (rest: object, extra: object = {}) => ({ resourceType: "CapabilityStatement", status: "active", kind: "instance", fhirVersion: "4.0.1", format: ["json"], rest: [{ mode: "server", ...rest }], ...extra });

async function generate(name: string, content: unknown, fileName = `${name}.json`): Promise<string> {
  const spec = path.join(tmp, fileName);
  await writeFile(spec, typeof content === "string" ? content : JSON.stringify(content));
  const outDir = path.join(tmp, "out", name);
  await runGenerate({ mode: "single", spec, outDir, name, check: false });
  return outDir;
}

describe("carewire generate with a CapabilityStatement", () => {
  it("generates only the declared interactions and search parameters", async () => {
    // history-type is valid R4 (HAPI declares it everywhere) but not generated: left out, not refused.
    const out = await generate("small", statement({ resource: [{ type: "Patient", interaction: [{ code: "read" }, { code: "search-type" }, { code: "history-type" }], searchParam: [{ name: "family", type: "string" }] }] }));
    const client = await readFile(path.join(out, "client.ts"), "utf8");
    const search = await readFile(path.join(out, "search.ts"), "utf8");
    expect(client).toContain('Patient: ["read","search-type"]');
    expect(client).toContain('InteractionMethods["read" | "search-type"]');
    expect(client).not.toContain("Observation");
    expect(search).toContain('readonly "family"?: SearchValue<StringParam>;');
    expect(search).not.toContain('"birthdate"');
  });

  it("knows a CapabilityStatement by its content, whatever the file is called (a saved /metadata)", async () => {
    const out = await generate("saved", statement({ resource: [{ type: "Patient", interaction: [{ code: "read" }] }] }), "metadata");
    expect(await readFile(path.join(out, "client.ts"), "utf8")).toContain('Patient: ["read"]');
  });

  it.each([
    ["invalid JSON", '{"resourceType": "CapabilityStatement", ', /not valid JSON/],
    ["another FHIR version", statement({ resource: [] }, { fhirVersion: "5.0.0" }), /#\/fhirVersion: fhirVersion "5\.0\.0" is not R4/],
    ["no server rest entry", { ...statement({}), rest: [{ mode: "client" }] }, /#\/rest: declares no rest entry with mode "server"/],
    ["no resources", statement({ resource: [] }), /#\/rest\/0\/resource: declares no resources/],
    ["an unknown interaction", statement({ resource: [{ type: "Patient", interaction: [{ code: "teleport" }] }] }), /#\/rest\/0\/resource\/0\/interaction\/0\/code: unknown interaction "teleport"/],
    ["a resource declared twice", statement({ resource: [{ type: "Patient" }, { type: "Patient" }] }), /#\/rest\/0\/resource\/1: resource Patient is declared twice/],
    ["an unknown search parameter type", statement({ resource: [{ type: "Patient", searchParam: [{ name: "x", type: "color" }] }] }), /#\/rest\/0\/resource\/0\/searchParam\/0\/type: search parameter x has unknown type "color"/],
  ])("refuses %s with file, pointer and reason", async (name, content, reason) => {
    const slug = name.toLowerCase().replace(/\W+/g, "-");
    await expect(generate(slug, content)).rejects.toThrow(reason);
    await expect(generate(slug, content)).rejects.toMatchObject({ name: "SpecError", file: expect.stringContaining(`${slug}.json`) });
  });
});
