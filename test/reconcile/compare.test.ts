/** The default comparison names the field paths that differ, never their values. */
import { describe, expect, it } from "@jest/globals";
import { compareFields, diffPaths } from "../../src/reconcile/index.js";

const sent = { resourceType: "Patient", identifier: [{ system: "s", value: "M-1" }], name: [{ family: "Doe", given: ["Jane"] }], birthDate: "1980-01-01" };

describe("compareFields", () => {
  it("finds no difference when the provider added its own id, meta and text", () => {
    const stored = { ...sent, id: "123", meta: { versionId: "4" }, text: { status: "generated", div: "<div/>" } };
    expect(compareFields()(sent, stored)).toEqual([]);
  });

  it("names each leaf that differs, by path, and keeps the values out", () => {
    const stored = { ...sent, name: [{ family: "Roe", given: ["Jane", "Q"] }], birthDate: "1980-01-02" };
    const fields = compareFields()(sent, stored);
    expect(fields).toEqual(["name[0].family", "name[0].given[1]", "birthDate"]);
    expect(JSON.stringify(fields)).not.toMatch(/Roe|Doe|1980/);
  });

  it("compares only the chosen fields, dotted paths included", () => {
    const stored = { ...sent, name: [{ family: "Roe" }], address: { city: "Oslo" } };
    expect(compareFields(["birthDate"])(sent, stored)).toEqual([]);
    expect(compareFields(["address.city"])({ address: { city: "Bergen" } }, stored)).toEqual(["address.city"]);
  });

  it("counts a field the provider lost as a difference, and one it added only when chosen", () => {
    const { birthDate: _, ...lost } = sent;
    expect(compareFields()(sent, lost)).toEqual(["birthDate"]);
    expect(compareFields()(lost, sent)).toEqual([]);
    expect(compareFields(["birthDate"])(lost, sent)).toEqual(["birthDate"]);
  });

  it("tells a number from its text, and an array from an object", () => {
    expect(diffPaths({ n: 1 }, { n: "1" })).toEqual(["n"]);
    expect(diffPaths({ a: [1] }, { a: { 0: 1 } })).toEqual(["a"]);
    expect(diffPaths({ a: undefined }, {})).toEqual([]);
  });
});
