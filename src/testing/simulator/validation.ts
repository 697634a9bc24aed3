/**
 * Request validation from the spec with Ajv: parameters (coerced from strings, as
 * they arrive on the wire) and bodies. Schemas compile lazily per operation, so a
 * 13 MB spec starts fast; a schema Ajv cannot compile (real specs have broken ones)
 * is skipped rather than failing every request.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { deref, isObject, type JsonObject } from "../../codegen/json.js";
import type { FieldError } from "./problem.js";

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Location = "path" | "query" | "header" | "cookie";

export class RequestValidator {
  // Each Ajv instance registers the whole spec (a third of a second on a 13 MB one), so each is
  // made on first use: a simulator listens before any of them exists.
  private strictAjv: Ajv | undefined;
  private coercingAjv: Ajv | undefined;
  private verbose: Ajv | undefined;
  private readonly verboseCache = new WeakMap<object, ValidateFunction | null>();
  private readonly strictCache = new WeakMap<object, ValidateFunction | null>();
  private readonly coercingCache = new WeakMap<object, ValidateFunction | null>();
  private readonly paramCache = new WeakMap<JsonObject, ValidateFunction | null>();
  private readonly strictParamCache = new WeakMap<JsonObject, ValidateFunction | null>();

  constructor(
    private readonly doc: JsonObject,
    version: "3.0" | "3.1",
  ) {
    this.make = (coerceTypes: boolean | "array", verbose = false) => {
      const options = { strict: false, allErrors: true, coerceTypes, verbose, validateSchema: false, logger: false, discriminator: false } as const;
      const ajv = version === "3.1" ? new Ajv2020(options) : new Ajv(options);
      addFormats(ajv as Ajv);
      // OpenAPI annotations Ajv does not know as keywords.
      for (const keyword of ["example", "xml", "externalDocs", "discriminator", "x-carewire-critical"]) {
        if (!ajv.getKeyword(keyword)) ajv.addKeyword(keyword);
      }
      if (version === "3.0") openApi30Bounds(ajv as Ajv);
      ajv.addSchema(doc as object, "spec");
      return ajv as Ajv;
    };
  }

  private readonly make: (coerceTypes: boolean | "array", verbose?: boolean) => Ajv;

  private get strict(): Ajv {
    return (this.strictAjv ??= this.make(false));
  }

  private get coercing(): Ajv {
    return (this.coercingAjv ??= this.make("array"));
  }

  /**
   * Errors with the failing schema attached (`parentSchema`), for repairing a value
   * (the simulator's example bodies) rather than reporting on it. Built on first use.
   */
  verboseErrors(schema: unknown, value: unknown): ErrorObject[] {
    this.verbose ??= this.make(false, true);
    if (!isObject(schema)) return [];
    if (!this.verboseCache.has(schema)) {
      try {
        this.verboseCache.set(schema, this.verbose.compile(inSpec(schema)));
      } catch {
        this.verboseCache.set(schema, null);
      }
    }
    const validate = this.verboseCache.get(schema);
    if (!validate || validate(value)) return [];
    return validate.errors ?? [];
  }

  /** Missing required parameters and values of the wrong type, by location. */
  /** `values` give each parameter as it arrived: a string, repeated strings, or (a deepObject query parameter) an object of strings. */
  validateParameters(parameters: readonly JsonObject[], values: Record<Location, (name: string) => string | string[] | JsonObject | undefined>): FieldError[] {
    const errors: FieldError[] = [];
    for (const param of parameters) {
      const location = param.in as Location;
      const name = String(param.name);
      // Credentials and content negotiation are checked elsewhere (auth, content type).
      if (location === "header" && ["authorization", "content-type", "accept"].includes(name.toLowerCase())) continue;
      const raw = values[location](name);
      const field = `${location}.${name}`;
      if (raw === undefined || raw === "") {
        if (param.required === true || location === "path") errors.push({ field, message: "is required" });
        continue;
      }
      const schema = deref(this.doc, param.schema);
      const validate = this.parameterValidator(param);
      if (!validate || !isObject(schema)) continue;
      // Validate inside a holder so coercion from the wire's strings can replace the value.
      const holder = { value: schema.type === "array" && typeof raw === "string" ? raw.split(",") : raw };
      // Coercion can make a value fit two branches of a oneOf (`"7"` as integer and as string);
      // the value as sent, uncoerced, decides then.
      if (!validate(holder) && !this.parameterValidator(param, false)?.({ value: raw })) errors.push(...fieldErrors(validate.errors, field, "/value"));
    }
    return errors;
  }

  private parameterValidator(param: JsonObject, coerce = true): ValidateFunction | undefined {
    const cache = coerce ? this.paramCache : this.strictParamCache;
    if (!cache.has(param)) {
      try {
        // Local refs in the parameter's schema point into the spec registered as "spec".
        const schema = inSpec(param.schema ?? {});
        cache.set(param, (coerce ? this.coercing : this.strict).compile({ type: "object", properties: { value: schema } }));
      } catch {
        cache.set(param, null);
      }
    }
    return cache.get(param) ?? undefined;
  }

  /** Schema violations of a parsed value (a body), as `<base><path>` field errors. */
  validateValue(schema: unknown, value: unknown, options: { coerce?: boolean; base?: string } = {}): { errors: FieldError[]; raw: ErrorObject[] } {
    const validate = this.schemaValidator(schema, options.coerce === true);
    if (!validate || validate(value)) return { errors: [], raw: [] };
    return { errors: fieldErrors(validate.errors, options.base ?? "body", ""), raw: validate.errors ?? [] };
  }

  private schemaValidator(schema: unknown, coerce: boolean): ValidateFunction | undefined {
    if (!isObject(schema) && typeof schema !== "boolean") return undefined;
    const cache = coerce ? this.coercingCache : this.strictCache;
    const key = isObject(schema) ? schema : { boolean: schema };
    if (!cache.has(key)) {
      try {
        const rewritten = inSpec(schema);
        cache.set(key, (coerce ? this.coercing : this.strict).compile(rewritten));
      } catch {
        cache.set(key, null);
      }
    }
    return cache.get(key) ?? undefined;
  }
}

/**
 * OpenAPI 3.0 writes an exclusive bound as a flag beside `minimum`/`maximum`
 * (`exclusiveMinimum: true`), which Ajv's draft refuses to compile; without this a
 * schema with one would be skipped, unchecked. Both forms are accepted here.
 */
function openApi30Bounds(ajv: Ajv): void {
  const bounds = [
    ["exclusiveMinimum", "minimum", (value: number, bound: number) => value > bound],
    ["exclusiveMaximum", "maximum", (value: number, bound: number) => value < bound],
  ] as const;
  for (const [keyword, inclusive, holds] of bounds) {
    ajv.removeKeyword(keyword);
    ajv.addKeyword({
      keyword,
      type: "number",
      schemaType: ["boolean", "number"],
      errors: false,
      validate: (schema: boolean | number, data: number, parentSchema?: Record<string, unknown>) => {
        const bound = typeof schema === "number" ? schema : schema && typeof parentSchema?.[inclusive] === "number" ? (parentSchema[inclusive] as number) : undefined;
        return bound === undefined || holds(data, bound);
      },
    });
  }
}

/** A copy of a schema taken out of the document whose local refs point into it (registered as "spec"). */
function inSpec(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#/g, '"$ref":"spec#')) as object;
}

function fieldErrors(errors: ErrorObject[] | null | undefined, base: string, strip: string): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    let path = error.instancePath.startsWith(strip) ? error.instancePath.slice(strip.length) : error.instancePath;
    if (error.keyword === "required" && typeof error.params.missingProperty === "string") path += `/${error.params.missingProperty}`;
    const field = base + path.split("/").filter(Boolean).map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s.replace(/~1/g, "/").replace(/~0/g, "~")}`)).join("");
    const message = error.keyword === "required" ? "is required" : (error.message ?? "is invalid");
    const key = `${field} ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, message });
  }
  return out.slice(0, 50);
}
