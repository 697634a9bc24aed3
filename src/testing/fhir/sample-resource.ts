/**
 * A valid sample of any R4 resource type, built from the official StructureDefinitions:
 * every required element (min ≥ 1) gets a value of its type, recursively; a required
 * binding gets a code from its value set. Contract checks create these, so a server that
 * validates what it is sent has no reason to refuse them.
 */
import { readR4Definition } from "./r4-definitions.js";
import { fhirSchemaProperties, fhirSchemaRequired } from "../../fhir/fhir-schema.js";
import { codeFromValueSet } from "./value-set-codes.js";

interface ElementType {
  readonly code: string;
}
interface ElementDefinition {
  readonly path: string;
  readonly min?: number;
  readonly max?: string;
  readonly type?: readonly ElementType[];
  readonly contentReference?: string;
  readonly binding?: { readonly strength?: string; readonly valueSet?: string };
}
interface StructureDefinition {
  readonly resourceType: string;
  readonly kind?: string;
  readonly abstract?: boolean;
  readonly type?: string;
  readonly fhirVersion?: string;
  readonly snapshot?: { readonly element?: readonly ElementDefinition[] };
}

/** Elements of one definition, by the path of their parent. */
interface Definition {
  readonly children: ReadonlyMap<string, readonly ElementDefinition[]>;
}

let definitions: Map<string, Definition> | undefined;
/** The concrete R4 resource types, in the definitions' order: read with them (the file is 35 MB). */
const resourceTypes: string[] = [];
const samples = new Map<string, Record<string, unknown>>();

function loadDefinitions(): Map<string, Definition> {
  if (definitions) return definitions;
  definitions = new Map();
  for (const file of ["fhir/r4/profiles-types.json", "fhir/r4/profiles-resources.json"]) {
    const bundle = readR4Definition(file) as { entry?: Array<{ resource?: StructureDefinition }> };
    for (const { resource: sd } of bundle.entry ?? []) {
      if (file.endsWith("resources.json") && sd?.resourceType === "StructureDefinition" && sd.kind === "resource" && sd.abstract !== true && (sd.fhirVersion ?? "4.0.1").startsWith("4.0")) resourceTypes.push(sd.type!);
      if (sd?.resourceType !== "StructureDefinition" || !sd.type || !sd.snapshot?.element) continue;
      const children = new Map<string, ElementDefinition[]>();
      for (const element of sd.snapshot.element) {
        const parent = element.path.slice(0, element.path.lastIndexOf("."));
        if (!parent) continue;
        const list = children.get(parent) ?? [];
        list.push(element);
        children.set(parent, list);
      }
      definitions.set(sd.type, { children });
    }
  }
  return definitions;
}

/** The R4 resource types the definitions describe (concrete ones only, without later versions' additions). */
export function sampleResourceTypes(): string[] {
  loadDefinitions();
  return [...resourceTypes];
}

/** A fresh copy of the valid sample of `type` (built once per type), or undefined for a type R4 does not define. */
export function sampleResource(type: string): Record<string, unknown> | undefined {
  let sample = samples.get(type);
  if (sample === undefined) {
    const defs = loadDefinitions();
    if (!defs.has(type)) return undefined;
    sample = { resourceType: type, ...complexValue(type, type, defs.get(type)!, 0), ...OVERRIDES[type] };
    samples.set(type, sample);
  }
  return structuredClone(sample);
}

const TEXT = "carewire contract";

/** Where the first code of a required binding brings rules of its own (a document Bundle needs a Composition first). */
const OVERRIDES: Readonly<Record<string, Record<string, unknown>>> = {
  Bundle: { type: "collection" },
};

/** A valid value for each primitive type: the R4 regular expressions accept these. */
const PRIMITIVES: Readonly<Record<string, unknown>> = {
  boolean: true,
  integer: 1,
  positiveInt: 1,
  unsignedInt: 1,
  decimal: 1,
  string: TEXT,
  markdown: TEXT,
  code: "carewire",
  id: "carewire-contract",
  uri: "urn:carewire:contract",
  url: "https://example.org/carewire/contract",
  canonical: "https://example.org/carewire/contract",
  oid: "urn:oid:1.3.6.1.4.1.0",
  uuid: "urn:uuid:7d6c4a64-2f4e-4b8e-9a0b-6f0f3c1d2e5a",
  date: "2024-01-01",
  dateTime: "2024-01-01T12:00:00Z",
  instant: "2024-01-01T12:00:00.000Z",
  time: "12:00:00",
  base64Binary: "Y2FyZXdpcmU=",
  xhtml: `<div xmlns="http://www.w3.org/1999/xhtml">${TEXT}</div>`,
};

/** Datatypes whose smallest useful value the definitions alone would not give (they require nothing). */
const DATATYPES: Readonly<Record<string, () => unknown>> = {
  Reference: () => ({ display: TEXT }),
  Identifier: () => ({ system: "urn:carewire:contract", value: "sample" }),
  CodeableConcept: () => ({ text: TEXT }),
  Coding: () => ({ system: "urn:carewire:contract", code: "sample" }),
  Quantity: () => ({ value: 1 }),
  SimpleQuantity: () => ({ value: 1 }),
  Age: () => ({ value: 1 }),
  Duration: () => ({ value: 1 }),
  Distance: () => ({ value: 1 }),
  Count: () => ({ value: 1 }),
  Money: () => ({ value: 1, currency: "USD" }),
  Period: () => ({ start: PRIMITIVES.dateTime }),
  Range: () => ({ low: { value: 1 } }),
  Ratio: () => ({ numerator: { value: 1 }, denominator: { value: 1 } }),
  HumanName: () => ({ family: "Contract" }),
  Address: () => ({ text: TEXT }),
  ContactPoint: () => ({ system: "phone", value: "555-0100" }),
  Attachment: () => ({ contentType: "text/plain", data: PRIMITIVES.base64Binary }),
  Timing: () => ({ event: [PRIMITIVES.dateTime] }),
  Dosage: () => ({ text: TEXT }),
  Annotation: () => ({ text: TEXT }),
  Narrative: () => ({ status: "generated", div: PRIMITIVES.xhtml }),
  Meta: () => ({ tag: [{ system: "urn:carewire:contract", code: "sample" }] }),
};

/** For a choice element, the types tried first: the simplest values. */
const CHOICE_ORDER = ["string", "boolean", "CodeableConcept", "Reference", "Quantity", "dateTime", "integer", "Coding", "Period"];

const SKIPPED = new Set(["id", "extension", "modifierExtension"]);

/** Required children of `path` in `def`, or (none required) one child, so the element is never empty. */
function complexValue(type: string, path: string, def: Definition, depth: number): Record<string, unknown> {
  const children = (def.children.get(path) ?? []).filter((e) => e.max !== "0" && !SKIPPED.has(e.path.slice(e.path.lastIndexOf(".") + 1)));
  // At the top, the R4 schema that judges answers may require an element the definitions shipped here made optional.
  const schemaRequired = depth === 0 ? fhirSchemaRequired(type) : [];
  const required = children.filter((e) => (e.min ?? 0) >= 1 || schemaRequired.includes(e.path.slice(e.path.lastIndexOf(".") + 1)));
  const chosen = required.length > 0 ? required : depth === 0 ? [] : firstSimple(knownToSchema(type, path, children));
  const out: Record<string, unknown> = {};
  for (const element of chosen) {
    const filled = elementValue(type, element, def, depth + 1);
    if (filled === undefined) continue;
    const single = element.max === "1";
    out[filled.name] = single ? filled.value : Array.from({ length: Math.max(1, element.min ?? 0) }, () => structuredClone(filled.value));
  }
  return out;
}

/**
 * The children the R4 schema also has, where it names the element's definition
 * (`Type_Element`): the definitions shipped here carry a few later-version elements.
 */
function knownToSchema(type: string, path: string, children: readonly ElementDefinition[]): readonly ElementDefinition[] {
  const last = path.slice(path.lastIndexOf(".") + 1);
  const known = fhirSchemaProperties(path === type ? type : `${type}_${last[0]!.toUpperCase()}${last.slice(1)}`);
  if (known === undefined) return children;
  const kept = children.filter((e) => known.includes(e.path.slice(e.path.lastIndexOf(".") + 1).replace("[x]", "")) || e.path.endsWith("[x]"));
  return kept.length > 0 ? kept : children;
}

/** The first optional child with a primitive (or a well-known) type: the cheapest way to be non-empty. */
function firstSimple(children: readonly ElementDefinition[]): ElementDefinition[] {
  const simple = children.find((e) => e.type?.some((t) => t.code in PRIMITIVES || t.code in DATATYPES));
  return simple ? [simple] : children.slice(0, 1);
}

function elementValue(type: string, element: ElementDefinition, def: Definition, depth: number): { name: string; value: unknown } | undefined {
  if (depth > 12) return undefined;
  const last = element.path.slice(element.path.lastIndexOf(".") + 1);
  if (element.contentReference) {
    // The element repeats another one's structure (a Questionnaire item inside an item).
    const target = element.contentReference.slice(element.contentReference.indexOf("#") + 1);
    return { name: last, value: complexValue(type, target, def, depth) };
  }
  const types = element.type ?? [];
  const choice = last.endsWith("[x]");
  const picked = choice ? (CHOICE_ORDER.map((c) => types.find((t) => t.code === c)).find(Boolean) ?? types[0]) : types[0];
  if (!picked) return undefined;
  const name = choice ? `${last.slice(0, -3)}${picked.code[0]!.toUpperCase()}${picked.code.slice(1)}` : last;
  const value = typedValue(type, element, picked.code, def, depth);
  return value === undefined ? undefined : { name, value };
}

function typedValue(type: string, element: ElementDefinition, code: string, def: Definition, depth: number): unknown {
  const bound = element.binding?.strength === "required" && element.binding.valueSet ? codeFromValueSet(element.binding.valueSet) : undefined;
  if (bound) {
    if (code === "code") return bound.code;
    if (code === "Coding") return { system: bound.system, code: bound.code };
    if (code === "CodeableConcept") return { coding: [{ system: bound.system, code: bound.code }] };
  }
  if (code === "BackboneElement" || code === "Element") return complexValue(type, element.path, def, depth);
  if (code.startsWith("http://hl7.org/fhirpath/")) return PRIMITIVES.string;
  if (code in PRIMITIVES) return PRIMITIVES[code];
  if (code in DATATYPES) return DATATYPES[code]!();
  // Any other datatype: its own required elements, from its own definition.
  const datatype = loadDefinitions().get(code);
  if (datatype === undefined || code === "Resource") return undefined;
  return complexValue(code, code, datatype, depth);
}
