/**
 * Turns a loaded document into the operation registry: one descriptor per
 * operation, in document order, with parameters merged from path and operation
 * level, method safety class and policy hints.
 */
import type {
  HttpMethod,
  OperationDescriptor,
  ParameterDescriptor,
  ParameterLocation,
  ResponseDescriptor,
} from "../runtime/core/operation.js";
import { HTTP_METHODS } from "../runtime/core/operation.js";
import { credentialHeaders } from "./credential-headers.js";
import { readOperationHints, readRootRateLimit } from "./hints.js";
import { deref, isObject, type JsonObject } from "./json.js";
import { NameAllocator, synthesizeOperationId, toCamelIdentifier } from "./names.js";
import { paginationOf, withoutPagingClashes } from "./pagination.js";
import { SpecError, pointerOf } from "./spec-error.js";


const SAFETY: Record<HttpMethod, OperationDescriptor["safety"]> = {
  get: "safe",
  head: "safe",
  options: "safe",
  trace: "safe",
  put: "idempotent",
  delete: "idempotent",
  post: "unsafe",
  patch: "unsafe",
};

const LOCATIONS: readonly ParameterLocation[] = ["path", "query", "header", "cookie"];

/** Where each operation sits in the document, for the schema emitter and messages. */
export interface RegistryEntry {
  readonly descriptor: OperationDescriptor;
  /** The operation object as in the document (refs unresolved). */
  readonly operation: JsonObject;
  /** Path- and operation-level parameter objects, resolved and merged (for request validation). */
  readonly parameterObjects: readonly JsonObject[];
  /** Header parameters that carry credentials (see credential-headers.ts), named as declared. */
  readonly credentialHeaders: readonly string[];
  readonly pointer: string;
}

export function buildRegistry(doc: JsonObject, file: string): RegistryEntry[] {
  const paths = doc.paths;
  if (paths === undefined) return [];
  if (!isObject(paths)) throw new SpecError("spec-invalid", file, "`paths` must be an object", { pointer: "/paths" });

  const rootRateLimit = readRootRateLimit(doc, file);
  const rootSecurity = securityOf(doc, "none");
  const seenIds = new Map<string, string>();
  const names = new NameAllocator();
  const entries: RegistryEntry[] = [];
  const pending: Array<{ method: HttpMethod; path: string; operation: JsonObject; pointer: string; item: JsonObject }> = [];

  for (const [pathKey, rawItem] of Object.entries(paths)) {
    const item = deref(doc, rawItem);
    if (!isObject(item)) {
      throw new SpecError("spec-invalid", file, "path item must be an object", { pointer: pointerOf(["paths", pathKey]) });
    }
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      const pointer = pointerOf(["paths", pathKey, method]);
      if (!isObject(operation)) throw new SpecError("spec-invalid", file, "operation must be an object", { pointer });
      pending.push({ method, path: pathKey, operation, pointer, item });
      if (typeof operation.operationId === "string" && operation.operationId !== "") {
        const previous = seenIds.get(operation.operationId);
        if (previous !== undefined) {
          throw new SpecError(
            "spec-invalid",
            file,
            `duplicate operationId "${operation.operationId}" (first used at ${previous})`,
            { pointer: `${pointer}/operationId` },
          );
        }
        seenIds.set(operation.operationId, pointer);
      }
    }
  }

  // Explicit ids claim their names first so a synthesised id never steals one.
  const explicitNames = new Map<JsonObject, string>();
  for (const p of pending) {
    if (typeof p.operation.operationId === "string" && p.operation.operationId !== "") {
      explicitNames.set(p.operation, names.allocate(toCamelIdentifier(p.operation.operationId)));
    }
  }

  for (const p of pending) {
    const explicitId = typeof p.operation.operationId === "string" && p.operation.operationId !== "" ? p.operation.operationId : undefined;
    let operationId = explicitId;
    let name = explicitNames.get(p.operation);
    if (operationId === undefined || name === undefined) {
      name = names.allocate(toCamelIdentifier(synthesizeOperationId(p.method, p.path)));
      operationId = name;
    }
    const { parameters, objects } = collectParameters(doc, file, p.item, p.operation, p.path, p.pointer);
    const hints = withKeyParameter(readOperationHints(p.operation, rootRateLimit, { file, at: ["paths", p.path, p.method] }), objects);
    const pagination = paginationOf(doc, p.method, p.operation, objects, { file, at: ["paths", p.path, p.method] });
    const descriptor: OperationDescriptor = {
      operationId,
      synthesizedId: explicitId === undefined,
      name,
      method: p.method,
      path: p.path,
      safety: SAFETY[p.method],
      ...(typeof p.operation.summary === "string" ? { summary: p.operation.summary.trim() } : {}),
      tags: Array.isArray(p.operation.tags) ? p.operation.tags.filter((t): t is string => typeof t === "string") : [],
      deprecated: p.operation.deprecated === true,
      parameters,
      ...requestBodyOf(doc, p.operation),
      responses: responsesOf(doc, p.operation),
      security: securityOf(p.operation, rootSecurity),
      hints,
      cacheable: isCacheable(p.method, hints),
      ...(pagination ? { pagination } : {}),
    };
    entries.push({ descriptor, operation: p.operation, parameterObjects: objects, credentialHeaders: credentialHeaders(doc, objects), pointer: p.pointer });
  }
  const paged = withoutPagingClashes(entries.map((e) => e.descriptor));
  return entries.map((e, i) => (paged[i] === e.descriptor ? e : { ...e, descriptor: paged[i]! }));
}

/**
 * An operation that declares an `Idempotency-Key` header parameter (or `X-Idempotency-Key`)
 * says its provider reads keys: taken as `x-carewire-idempotency` with that header, unless
 * the hint says otherwise.
 */
function withKeyParameter(hints: OperationDescriptor["hints"], objects: readonly JsonObject[]): OperationDescriptor["hints"] {
  if (hints.idempotency !== undefined) return hints;
  const declared = objects.find((param) => param.in === "header" && typeof param.name === "string" && /^(x-)?idempotency-key$/i.test(param.name));
  return declared === undefined ? hints : { ...hints, idempotency: { header: String(declared.name), required: declared.required === true } };
}

/**
 * Only reads are served from a cache (a write always goes to the server), and not a read
 * the spec marks `no-store`: the runtime then skips the cache lookup for it altogether.
 */
function isCacheable(method: HttpMethod, hints: OperationDescriptor["hints"]): boolean {
  return (method === "get" || method === "head") && hints.cache?.policy !== "no-store";
}

function collectParameters(
  doc: JsonObject,
  file: string,
  item: JsonObject,
  operation: JsonObject,
  pathKey: string,
  pointer: string,
): { parameters: OperationDescriptor["parameters"]; objects: JsonObject[] } {
  // Operation-level parameters override path-level ones with the same name and location.
  const merged = new Map<string, { param: JsonObject; pointer: string }>();
  const add = (list: unknown, base: string) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new SpecError("spec-invalid", file, "`parameters` must be an array", { pointer: base });
    list.forEach((raw, i) => {
      const at = `${base}/${i}`;
      const param = deref(doc, raw);
      if (!isObject(param) || typeof param.name !== "string" || typeof param.in !== "string") {
        throw new SpecError("spec-invalid", file, "parameter needs a string `name` and `in`", { pointer: at });
      }
      if (!(LOCATIONS as readonly string[]).includes(param.in)) {
        throw new SpecError("spec-invalid", file, `parameter "${param.name}" has unknown location "${param.in}"`, {
          pointer: `${at}/in`,
        });
      }
      merged.set(`${param.in}:${param.name}`, { param, pointer: at });
    });
  };
  add(item.parameters, pointer.replace(/\/[^/]+$/, "/parameters"));
  add(operation.parameters, `${pointer}/parameters`);

  const templateNames = [...pathKey.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!);
  const out: Record<ParameterLocation, ParameterDescriptor[]> = { path: [], query: [], header: [], cookie: [] };
  for (const { param, pointer: at } of merged.values()) {
    const location = param.in as ParameterLocation;
    const name = param.name as string;
    if (location === "path" && !templateNames.includes(name)) {
      throw new SpecError("spec-invalid", file, `path parameter "${name}" is not in the path template "${pathKey}"`, {
        pointer: at,
      });
    }
    out[location].push({
      name,
      // Path parameters are always required, whatever the document says.
      required: location === "path" ? true : param.required === true,
      ...(typeof param.style === "string" ? { style: param.style } : {}),
      ...(typeof param.explode === "boolean" ? { explode: param.explode } : {}),
    });
  }
  for (const name of templateNames) {
    if (!out.path.some((p) => p.name === name)) {
      throw new SpecError("spec-invalid", file, `path template "${pathKey}" has {${name}} but no path parameter declares it`, {
        pointer: pointer.replace(/\/[^/]+$/, ""),
      });
    }
  }
  return { parameters: out, objects: [...merged.values()].map((m) => m.param) };
}

function requestBodyOf(doc: JsonObject, operation: JsonObject): Pick<OperationDescriptor, "requestBody"> {
  const body = deref(doc, operation.requestBody);
  if (!isObject(body)) return {};
  const content = isObject(body.content) ? Object.keys(body.content) : [];
  return { requestBody: { required: body.required === true, contentTypes: content } };
}

function responsesOf(doc: JsonObject, operation: JsonObject): OperationDescriptor["responses"] {
  const out: Record<string, ResponseDescriptor> = {};
  const responses = deref(doc, operation.responses);
  if (!isObject(responses)) return out;
  for (const [status, raw] of Object.entries(responses)) {
    if (status.startsWith("x-")) continue;
    const response = deref(doc, raw);
    if (!isObject(response)) continue;
    out[/^[1-5]xx$/i.test(status) ? status.toUpperCase() : status] = {
      contentTypes: isObject(response.content) ? Object.keys(response.content) : [],
      headers: isObject(response.headers) ? Object.keys(response.headers).map((h) => h.toLowerCase()) : [],
    };
  }
  return out;
}

/** An operation's own `security`, else the document's (`holder` is either); `inherited` where it has none. */
function securityOf(holder: JsonObject, inherited: OperationDescriptor["security"]): OperationDescriptor["security"] {
  if (Array.isArray(holder.security)) {
    // `security: []` or a list containing `{}` means anonymous access is allowed.
    const anonymous = holder.security.length === 0 || holder.security.some((s) => isObject(s) && Object.keys(s).length === 0);
    return anonymous ? "none" : "required";
  }
  return inherited;
}
