/**
 * OpenAPI Overlay 1.0: validation (typed errors naming the file and the action), what
 * update and remove do, and hints added to a public vendor spec without editing it.
 */
import { describe, expect, it } from "@jest/globals";
import { readFile, writeFile } from "node:fs/promises";
import { buildRegistry } from "../../src/codegen/build-registry.js";
import { loadSpec } from "../../src/codegen/load-spec.js";
import { applyOverlay, parseOverlayText, validateOverlay } from "../../src/codegen/overlay.js";
import type { JsonObject } from "../../src/codegen/json.js";
import { specErrorOf } from "../helpers/errors.js";
import { tempDirForFile } from "../helpers/temp-dir.js";

const BLUE_BUTTON = "/work/shared/specs-public/cms-bluebutton.openapi.yaml";

function overlayOf(actions: unknown[]): unknown {
  return { overlay: "1.0.0", info: { title: "t", version: "1" }, actions };
}

const tmp = tempDirForFile("overlay");

describe("overlay validation", () => {
  it.each<[string, unknown, string]>([
    ["not an object", ["a"], "o.yaml#: an overlay is a YAML or JSON object"],
    ["no overlay field", { info: {}, actions: [] }, "o.yaml#: no `overlay: 1.0.0` field: not an OpenAPI Overlay document"],
    ["another version", { overlay: "2.0.0" }, "o.yaml#/overlay: Overlay 2.0.0 is not supported (1.0.x is)"],
    ["no info", { overlay: "1.0.0", actions: [] }, "o.yaml#/info: needs `info` with a string `title` and `version`"],
    ["no actions", { overlay: "1.0.0", info: { title: "t", version: "1" }, actions: [] }, "o.yaml#/actions: needs a non-empty `actions` list"],
    ["an action that is not an object", overlayOf(["x"]), "o.yaml#/actions/0: action 0 is not an object"],
    ["an unknown action field", overlayOf([{ target: "$", updates: {} }]), 'o.yaml#/actions/0/updates: action 0 has an unknown field "updates" (known: target, description, update, remove)'],
    ["no target", overlayOf([{ update: {} }]), "o.yaml#/actions/0/target: action 0 needs a string `target` (a JSONPath)"],
    ["a bad JSONPath", overlayOf([{ target: "$", update: {} }, { target: "$.paths[", update: {} }]), 'o.yaml#/actions/1/target: action 1: expected a quoted name, an index, * or a ?filter at position 8 of JSONPath "$.paths["'],
    ["remove that is not a boolean", overlayOf([{ target: "$.a", remove: "yes" }]), "o.yaml#/actions/0/remove: action 0: `remove` is true or false"],
    ["update and remove", overlayOf([{ target: "$.a", remove: true, update: {} }]), "o.yaml#/actions/0: action 0 has both `update` and `remove: true`; split it in two"],
    ["neither update nor remove", overlayOf([{ target: "$.a", remove: false }]), "o.yaml#/actions/0: action 0 needs `update` or `remove: true`"],
  ])("%s", (_label, raw, message) => {
    const error = specErrorOf(() => validateOverlay(raw, "o.yaml"));
    expect(error.kind).toBe("overlay-invalid");
    expect(error.file).toBe("o.yaml");
    expect(error.message).toBe(message);
  });

  it("accepts x- extensions on actions, and reports YAML that does not parse with its line", () => {
    const overlay = parseOverlayText("overlay: 1.0.0\ninfo: { title: t, version: '1' }\nactions:\n  - target: $.info\n    x-note: fine\n    update: { x-a: 1 }\n", "o.yaml");
    expect(overlay.actions).toHaveLength(1);
    expect(overlay.actions[0]!.target.expression).toBe("$.info");
    const error = specErrorOf(() => parseOverlayText("overlay: 1.0.0\nactions: [\n", "o.yaml"));
    expect(error.kind).toBe("overlay-invalid");
    expect(error.message).toBe("o.yaml:3:1: cannot parse: unexpected end of the stream within a flow collection");
  });
});

describe("applying an overlay", () => {
  const spec = (): JsonObject => ({
    info: { title: "T", contact: { name: "A", email: "a@x" } },
    tags: [{ name: "one" }, { name: "two" }, { name: "three" }],
    paths: {
      "/a": { get: { operationId: "getA", tags: ["one"], "x-old": true }, post: { operationId: "postA", deprecated: true } },
      "/b": { get: { operationId: "getB", deprecated: true } },
    },
  });
  const apply = (doc: JsonObject, actions: unknown[]) => applyOverlay(doc, validateOverlay(overlayOf(actions), "o.yaml"), "spec.yaml");

  it("merges an update into every selected object, recursively; nested arrays and scalars are replaced", () => {
    const doc = spec();
    apply(doc, [
      { target: "$.info", update: { contact: { email: "b@x", url: "https://x" }, "x-logo": { url: "l.png" } } },
      { target: "$.paths.*.get", update: { tags: ["replaced"], "x-carewire-criticality": "batch" } },
    ]);
    expect(doc.info).toEqual({ title: "T", contact: { name: "A", email: "b@x", url: "https://x" }, "x-logo": { url: "l.png" } });
    expect(doc.paths).toMatchObject({
      "/a": { get: { operationId: "getA", tags: ["replaced"], "x-old": true, "x-carewire-criticality": "batch" } },
      "/b": { get: { operationId: "getB", tags: ["replaced"], "x-carewire-criticality": "batch" } },
    });
  });

  it("appends to a selected array (each item of an array update), and copies what it adds", () => {
    const doc = spec();
    const added = { name: "four" };
    apply(doc, [
      { target: "$.tags", update: added },
      { target: "$.tags", update: [{ name: "five" }, { name: "six" }] },
    ]);
    expect((doc.tags as unknown[]).map((t) => (t as { name: string }).name)).toEqual(["one", "two", "three", "four", "five", "six"]);
    expect((doc.tags as unknown[])[3]).not.toBe(added);
  });

  it("removes selected members and elements, several from one array, and runs actions in order", () => {
    const doc = spec();
    apply(doc, [
      { target: "$.paths.*[?(@.deprecated == true)]", remove: true },
      { target: "$.tags[?(@.name != 'two')]", remove: true },
      { target: "$.paths['/b']", update: { "x-empty": true } },
    ]);
    expect(doc.paths).toEqual({ "/a": { get: { operationId: "getA", tags: ["one"], "x-old": true } }, "/b": { "x-empty": true } });
    expect(doc.tags).toEqual([{ name: "two" }]);
  });

  it("fails, naming the overlay, the action and the spec, when a target selects nothing", () => {
    const error = specErrorOf(() => apply(spec(), [{ target: "$.info", update: {} }, { target: "$.paths['/c'].get", update: { "x-carewire-criticality": "batch" } }]));
    expect(error.kind).toBe("overlay-invalid");
    expect(error.message).toBe("o.yaml#/actions/1/target: action 1: target $.paths['/c'].get selects nothing in spec.yaml");
  });

  it("refuses an update of a scalar, a scalar merged into an object, and removing the root", () => {
    expect(specErrorOf(() => apply(spec(), [{ target: "$.info.title", update: { a: 1 } }])).message).toBe(
      "o.yaml#/actions/0/update: action 0: target $.info.title selects /info/title of spec.yaml, a string (an update needs an object or an array)",
    );
    expect(specErrorOf(() => apply(spec(), [{ target: "$.info", update: "x" }])).message).toBe(
      "o.yaml#/actions/0/update: action 0: target $.info selects /info of spec.yaml, an object, and the update is not one",
    );
    expect(specErrorOf(() => apply(spec(), [{ target: "$", remove: true }])).message).toBe("o.yaml#/actions/0/target: action 0: cannot remove the root of the document");
  });
});

describe("hints for a vendor's spec, kept in an overlay", () => {
  it("adds x-carewire-* hints to CMS Blue Button's spec and drops an operation: the registry carries them, the vendor's file is untouched", async () => {
    const before = await readFile(BLUE_BUTTON, "utf8");
    const overlay = tmp("bluebutton.overlay.yaml");
    await writeFile(
      overlay,
      [
        "overlay: 1.0.0",
        "info: { title: carewire hints for Blue Button, version: 1.0.0 }",
        "actions:",
        "  - target: $",
        "    update:",
        "      x-carewire-rate-limit: { limit: 100, windowSeconds: 60, scope: client_id }",
        "  - target: $.paths.*.get",
        "    update: { x-carewire-criticality: interactive }",
        "  - target: $.paths[?(@.get.operationId == 'listSearchViewExplanationOfBenefits_v3')].get",
        "    update:",
        "      x-carewire-criticality: batch",
        "      x-carewire-cache: { policy: max-age, maxAgeSeconds: 300 }",
        "  - target: $.paths['/v1/connect/userinfo']",
        "    remove: true",
        "",
      ].join("\n"),
    );
    const plain = buildRegistry((await loadSpec(BLUE_BUTTON)).document, BLUE_BUTTON);
    const loaded = await loadSpec(BLUE_BUTTON, { overlays: [overlay] });
    const registry = buildRegistry(loaded.document, BLUE_BUTTON);
    const byId = new Map(registry.map((e) => [e.descriptor.operationId, e.descriptor]));

    expect(plain.every((e) => Object.keys(e.descriptor.hints).length === 0)).toBe(true);
    expect(registry).toHaveLength(plain.length - 1);
    expect(byId.has("listopenidconnect_userinfos")).toBe(false);
    expect(plain.some((e) => e.descriptor.path === "/v1/connect/userinfo")).toBe(true);
    expect(byId.get("listReadViewPatients_v3")!.hints).toEqual({ rateLimit: { limit: 100, windowSeconds: 60, scope: "client_id" }, criticality: "interactive" });
    expect(byId.get("listSearchViewExplanationOfBenefits_v3")!.hints).toMatchObject({ criticality: "batch", cache: { policy: "max-age", maxAgeSeconds: 300 } });
    expect(await readFile(BLUE_BUTTON, "utf8")).toBe(before);
  });

  it("reports a hint the overlay got wrong at its place in the spec, like a hint written in the spec", async () => {
    const overlay = tmp("bad-hint.overlay.yaml");
    await writeFile(overlay, "overlay: 1.0.0\ninfo: { title: t, version: '1' }\nactions:\n  - target: $.paths['/v3/fhir/metadata'].get\n    update: { x-carewire-cache: { policy: forever } }\n");
    const loaded = await loadSpec(BLUE_BUTTON, { overlays: [overlay] });
    const error = specErrorOf(() => buildRegistry(loaded.document, BLUE_BUTTON));
    expect(error.message).toBe(`${BLUE_BUTTON}#/paths/~1v3~1fhir~1metadata/get/x-carewire-cache/policy: must be one of no-store | revalidate | max-age, got "forever"`);
  });

  it("names a missing overlay file", async () => {
    await expect(loadSpec(BLUE_BUTTON, { overlays: [tmp("nope.yaml")] })).rejects.toMatchObject({
      kind: "spec-unreadable",
      message: `${tmp("nope.yaml")}: overlay file not found or not readable`,
    });
  });
});
