/**
 * The FHIR simulator's `patch` interaction: JSON Patch on the current version, guarded by
 * If-Match, all or nothing.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { applyJsonPatch } from "../../src/testing/simulator/json-patch.js";
import { startFhirSimulator } from "../../src/testing/fhir/fhir-simulator.js";
import { ROOT } from "../helpers/cli.js";

describe("JSON Patch", () => {
  it("adds, replaces, removes, moves, copies and tests, leaving the input untouched", () => {
    const doc = { name: [{ family: "A" }], active: true };
    const result = applyJsonPatch(doc, [
      { op: "add", path: "/name/-", value: { family: "B" } },
      { op: "replace", path: "/name/0/family", value: "C" },
      { op: "copy", from: "/name/1", path: "/contact" },
      { op: "move", from: "/active", path: "/deceased" },
      { op: "remove", path: "/name/1" },
      { op: "test", path: "/deceased", value: true },
    ]);
    expect(result).toEqual({ ok: true, value: { name: [{ family: "C" }], contact: { family: "B" }, deceased: true } });
    expect(doc).toEqual({ name: [{ family: "A" }], active: true });
  });

  it("fails as a whole on a failed test or a missing path, and never writes to Object's prototype", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "add", path: "/b", value: 2 }, { op: "test", path: "/a", value: 2 }])).toMatchObject({ ok: false, reason: expect.stringContaining("test failed") });
    expect(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "/missing", value: 2 }]).ok).toBe(false);
    const polluted = applyJsonPatch({}, [{ op: "add", path: "/__proto__", value: { hacked: true } }]);
    expect(polluted.ok).toBe(true);
    expect(({} as { hacked?: boolean }).hacked).toBeUndefined();
  });
});

describe("patch on the FHIR simulator", () => {
  let sim: Awaited<ReturnType<typeof startFhirSimulator>>;
  beforeAll(async () => {
    sim = await startFhirSimulator({ capability: path.join(ROOT, "specs/fhir-r4/capability.json") });
  });
  afterAll(() => sim.close());
  const send = (method: string, url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sim.url}${url}`, { method, headers: { "content-type": "application/fhir+json", ...headers }, body: JSON.stringify(body) });

  it("applies a patch as a new version, refuses a stale If-Match with 412 and a failing patch with 422", async () => {
    const created = (await (await send("POST", "/Patient", { resourceType: "Patient", gender: "female" })).json()) as { id: string };
    const patched = await send("PATCH", `/Patient/${created.id}`, [{ op: "replace", path: "/gender", value: "male" }], { "content-type": "application/json-patch+json", "if-match": 'W/"1"' });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ gender: "male", meta: { versionId: "2" } });
    expect((await send("PATCH", `/Patient/${created.id}`, [{ op: "replace", path: "/gender", value: "other" }], { "if-match": 'W/"1"' })).status).toBe(412);
    expect((await send("PATCH", `/Patient/${created.id}`, [{ op: "test", path: "/gender", value: "other" }])).status).toBe(422);
    expect((await send("PATCH", `/Patient/${created.id}`, [{ op: "replace", path: "/id", value: "other" }])).status).toBe(422);
    expect((await send("PATCH", "/Patient/nobody", [])).status).toBe(404);
  });
});
