/** The FHIR simulator's identifier search as reconciliation uses it: several identifiers OR'd with commas, and `system|` for a whole system. */
import { describe, expect, it } from "@jest/globals";
import { FhirStore } from "../../src/testing/fhir/fhir-store.js";

const MRN = "urn:carewire:mrn";
const OTHER = "urn:other";

function storeWith(): FhirStore {
  const store = new FhirStore(() => 0);
  store.put({ resourceType: "Patient", id: "a", identifier: [{ system: MRN, value: "M,1" }] });
  store.put({ resourceType: "Patient", id: "b", identifier: [{ system: MRN, value: "M-2" }] });
  store.put({ resourceType: "Patient", id: "c", identifier: [{ system: OTHER, value: "M-2" }] });
  store.put({ resourceType: "Patient", id: "d", gender: "female" });
  return store;
}

describe("identifier search in the FHIR simulator", () => {
  it("ORs comma-separated identifiers, an escaped comma staying inside its value", () => {
    const ids = storeWith().search("Patient", [["identifier", `${MRN}|M\\,1,${MRN}|M-2,${MRN}|absent`]]).map((r) => r.id);
    expect(ids).toEqual(["a", "b"]);
  });

  it("finds every resource with an identifier in a system for `system|`", () => {
    expect(storeWith().search("Patient", [["identifier", `${MRN}|`]]).map((r) => r.id)).toEqual(["a", "b"]);
    expect(storeWith().search("Patient", [["identifier", `${OTHER}|`]]).map((r) => r.id)).toEqual(["c"]);
  });

  it("keeps plain-code tokens as they were", () => {
    expect(storeWith().search("Patient", [["gender", "female"]]).map((r) => r.id)).toEqual(["d"]);
    expect(storeWith().search("Patient", [["identifier", "M-2"]]).map((r) => r.id)).toEqual(["b", "c"]);
  });
});
