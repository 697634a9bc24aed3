/**
 * Typed FHIR search: wrong parameter names and wrong value types do not compile (the
 * `@ts-expect-error` lines are checked by `tsc --noEmit` in `npm test`: if one of them
 * compiled, tsc would fail on the unused directive), and values serialize as FHIR says.
 */
import { describe, expect, it } from "@jest/globals";
import { identifierCondition, searchQuery } from "carewire/fhir";
import type { AppointmentSearch, ObservationSearch, PatientSearch } from "../../generated/fhir-r4/index.js";

describe("typed search parameters (compile-time)", () => {
  it("accepts what the CapabilityStatement declares, typed by the official definitions", () => {
    const ok: PatientSearch[] = [
      { identifier: "urn:mrn|123" },
      { identifier: { system: "urn:mrn", code: "123" } },
      { birthdate: "ge1990-01-01" },
      { birthdate: new Date("1990-01-01") },
      { birthdate: { and: ["ge1990", "lt2000-06"] } },
      { "name:exact": "Ada", gender: ["female", "other"], "general-practitioner": "Practitioner/7" },
      { "family:missing": true, _count: 50, _sort: ["-birthdate", "family"], _lastUpdated: "gt2024-03-01T10:00:00Z" },
    ];
    const obs: ObservationSearch = { "value-quantity": "le5.4|http://unitsofmeasure.org|mg", subject: "Patient/1", code: { system: "http://loinc.org", code: "8867-4" } };
    const appt: AppointmentSearch = { date: "ge2026-11-23", status: "booked", patient: { reference: "Patient/1" } };
    expect(ok.length + Object.keys(obs).length + Object.keys(appt).length).toBeGreaterThan(0);
  });

  it("rejects unknown names, wrong value types, unknown sort keys and wrong reference targets", () => {
    // @ts-expect-error `birthDate` is the element; the search parameter is `birthdate`
    const wrongName: PatientSearch = { birthDate: "1990-01-01" };
    // @ts-expect-error a date parameter takes a FHIR date, not free text
    const wrongDate: PatientSearch = { birthdate: "yesterday" };
    // @ts-expect-error not a FHIR comparator
    const wrongPrefix: PatientSearch = { birthdate: "after1990-01-01" };
    // @ts-expect-error a token is a string or { system, code }, not a number
    const wrongToken: PatientSearch = { identifier: 123 };
    // @ts-expect-error `:exact` is a string modifier; gender is a token
    const wrongModifier: PatientSearch = { "gender:exact": "female" };
    // @ts-expect-error general-practitioner points at Organization, Practitioner or PractitionerRole
    const wrongTarget: PatientSearch = { "general-practitioner": "Patient/1" };
    // @ts-expect-error only declared parameters sort
    const wrongSort: PatientSearch = { _sort: "shoe-size" };
    // @ts-expect-error Observation declares no `name` parameter
    const undeclared: ObservationSearch = { name: "x" };
    expect([wrongName, wrongDate, wrongPrefix, wrongToken, wrongModifier, wrongTarget, wrongSort, undeclared]).toHaveLength(8);
  });
});

describe("searchQuery", () => {
  it("joins an array with commas (OR) and repeats the parameter for { and } (AND)", () => {
    expect(searchQuery({ gender: ["female", "other"], birthdate: { and: ["ge1990", "lt2000"] } }).toString()).toBe("gender=female%2Cother&birthdate=ge1990&birthdate=lt2000");
  });

  it("writes tokens as system|code, |code for no system, code alone for any system", () => {
    const q = (code: object) => decodeURIComponent(searchQuery({ identifier: code }).toString());
    expect(q({ system: "urn:mrn", code: "1" })).toBe("identifier=urn:mrn|1");
    expect(q({ system: "", code: "1" })).toBe("identifier=|1");
    expect(q({ code: "1" })).toBe("identifier=1");
  });

  it("escapes commas, dollar signs, pipes and backslashes inside values", () => {
    expect(decodeURIComponent(searchQuery({ family: "O,Brien$" }).toString())).toBe("family=O\\,Brien\\$");
    expect(decodeURIComponent(searchQuery({ identifier: { system: "urn:a|b", code: "x,y" } }).toString())).toBe("identifier=urn:a\\|b|x\\,y");
  });

  it("writes Dates as ISO instants, and skips undefined entries", () => {
    expect(decodeURIComponent(searchQuery({ _lastUpdated: new Date(Date.UTC(2024, 2, 1)), family: undefined }).toString())).toBe("_lastUpdated=2024-03-01T00:00:00.000Z");
  });

  it("writes composite values by component: each escaped, `$` between them, `|` kept", () => {
    expect(decodeURIComponent(searchQuery({ "code-value-quantity": { composite: ["http://loinc.org|8480-6", "gt100"] } }).toString())).toBe("code-value-quantity=http://loinc.org|8480-6$gt100");
    expect(decodeURIComponent(searchQuery({ x: { composite: ["a$b", "c,d"] } }).toString())).toBe("x=a\\$b$c\\,d");
  });

  it("refuses values that cannot be searched for instead of sending them", () => {
    expect(() => searchQuery({ _lastUpdated: new Date("nonsense") })).toThrow(TypeError);
    expect(() => searchQuery({ _count: Number.NaN })).toThrow(TypeError);
  });

  it("derives the conditional-create key from the first identifier with system and value", () => {
    expect(identifierCondition({ identifier: [{ value: "no-system" }, { system: "urn:mrn", value: "7" }] })).toBe("identifier=urn%3Amrn%7C7");
    expect(identifierCondition({ identifier: [{ value: "no-system" }] })).toBeUndefined();
    expect(identifierCondition({})).toBeUndefined();
  });
});
