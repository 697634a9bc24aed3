/**
 * Typed FHIR search: the value types each search parameter type accepts,
 * and their serialization to a query string. Generated code declares, per resource, which
 * parameter names exist and of which type, so a wrong name or a wrong value type is a
 * compile error instead of a silently ignored parameter on the server.
 *
 * Value forms: one value; an array of values (OR: `a,b`); `{ and: [...] }` repeats the
 * parameter (AND: `date=ge2020&date=lt2021`).
 */

/** Comparators for ordered values (dates, numbers, quantities). */
export type SearchPrefix = "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb" | "ap";

/** A FHIR date or dateTime at any precision: `2024`, `2024-03`, `2024-03-01`, `2024-03-01T10:00:00Z`. */
export type FhirDateValue = `${number}` | `${number}-${number}` | `${number}-${number}-${number}` | `${number}-${number}-${number}T${string}`;

export type DateParam = FhirDateValue | `${SearchPrefix}${FhirDateValue}` | Date;
export type NumberParam = number | `${SearchPrefix}${number}`;
/** `5.4`, `le5.4`, `5.4|http://unitsofmeasure.org|mg` (value, system, code). */
export type QuantityParam = number | `${SearchPrefix | ""}${number}` | `${SearchPrefix | ""}${number}|${string}|${string}`;
/** `code`, `system|code`, `|code` (no system) or `system|`; or an object. */
export type TokenParam = string | { readonly system?: string; readonly code: string };
export type StringParam = string;
export type UriParam = string;
/** `Patient/123`, an absolute URL, or an object with `reference`. */
export type ReferenceParam<Target extends string = string> = `${Target}/${string}` | `http${"" | "s"}://${string}` | { readonly reference: `${Target}/${string}` };
/**
 * A composite value, by its components: `{ composite: ["http://loinc.org|8480-6", "gt100"] }`
 * is sent as `http://loinc.org|8480-6$gt100` (each component escaped, `$` between them).
 */
export type CompositeParam = { readonly composite: readonly [string, string, ...string[]] };
/** Special parameters (`near`, `_filter`…): sent as written, with commas escaped. */
export type SpecialParam = string;

export type SearchValue<T> = T | readonly T[] | { readonly and: ReadonlyArray<T | readonly T[]> };

/** `_sort` keys: a declared parameter name, `-name` for descending. */
export type SortKey<Name extends string> = Name | `-${Name}`;

/** Parameters every resource type accepts (result shaping, paging). */
export interface CommonSearchParams<Sortable extends string> {
  readonly _count?: number;
  readonly _sort?: SortKey<Sortable> | readonly SortKey<Sortable>[];
  readonly _summary?: "true" | "false" | "count" | "text" | "data";
  readonly _elements?: readonly string[];
  readonly _total?: "none" | "estimate" | "accurate";
  readonly _include?: string | readonly string[];
  readonly _revinclude?: string | readonly string[];
}

type Scalar = string | number | boolean | Date | { readonly system?: string; readonly code: string } | { readonly reference: string } | CompositeParam;

/** FHIR escaping inside one value: a backslash before `\`, `,` and `$` (and `|` where it is not a separator). */
function escapeValue(text: string, keepPipes = false): string {
  return text.replace(keepPipes ? /[\\,$]/g : /[\\,$|]/g, (c) => `\\${c}`);
}

function scalarText(value: Scalar): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError("an invalid Date cannot be a search value");
    return value.toISOString();
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be a search value`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return escapeValue(value, true); // `|` is the caller's separator here
  if ("reference" in value) return value.reference;
  if ("composite" in value) return value.composite.map((c) => escapeValue(c, true)).join("$");
  // An absent system means "any system"; an empty one means "no system" (`|code`).
  return value.system === undefined ? escapeValue(value.code) : `${escapeValue(value.system)}|${escapeValue(value.code)}`;
}

function orText(value: Scalar | readonly Scalar[]): string {
  return Array.isArray(value) ? value.map((v) => scalarText(v as Scalar)).join(",") : scalarText(value as Scalar);
}

/** Serializes typed search parameters (undefined entries skipped) in their given order. */
export function searchQuery(params: object): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (name === "_elements" && Array.isArray(value)) {
      query.append(name, value.join(","));
    } else if (typeof value === "object" && !Array.isArray(value) && !(value instanceof Date) && "and" in value) {
      for (const part of (value as { and: ReadonlyArray<Scalar | readonly Scalar[]> }).and) query.append(name, orText(part));
    } else if ((name === "_include" || name === "_revinclude") && Array.isArray(value)) {
      for (const v of value as string[]) query.append(name, v);
    } else {
      query.append(name, orText(value as Scalar | readonly Scalar[]));
    }
  }
  return query;
}

/** `identifier=system|value` from the first identifier that has both (the FHIR business key). */
export function identifierCondition(resource: { readonly identifier?: ReadonlyArray<{ readonly system?: string; readonly value?: string }> } | object): string | undefined {
  const identifiers = (resource as { identifier?: ReadonlyArray<{ system?: string; value?: string }> }).identifier;
  const key = identifiers?.find((i) => i.system && i.value);
  return key ? searchQuery({ identifier: { system: key.system!, code: key.value! } }).toString() : undefined;
}

