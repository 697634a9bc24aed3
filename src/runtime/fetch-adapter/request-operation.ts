/**
 * The operation descriptor of a request an SDK made on its own: the pipeline runs per
 * operation, and an arbitrary `fetch` has none. When the caller passed a registry, the
 * request's method and path pick its entry (so the spec's hints apply); otherwise one is
 * made up from the method alone.
 *
 * The descriptor's `path` is the request's own path, already encoded, so the request is
 * rebuilt byte for byte; `template` is what may be shown (identifiers replaced), used
 * for `meta.path` and the operation id.
 */
import { HTTP_METHODS, type HttpMethod, type OperationDescriptor, type OperationHints, type SafetyClass } from "../core/operation.js";


/** How a request's method may be repeated (RFC 9110): a write without a key is never sent twice blindly. */
export function safetyOfMethod(method: HttpMethod): SafetyClass {
  if (method === "get" || method === "head" || method === "options" || method === "trace") return "safe";
  if (method === "put" || method === "delete") return "idempotent";
  return "unsafe";
}

/** The method as the runtime names it, or undefined for one outside HTTP's registry (sent as is by no pipeline). */
export function httpMethodOf(method: string): HttpMethod | undefined {
  const lower = method.toLowerCase();
  return (HTTP_METHODS as readonly string[]).includes(lower) ? (lower as HttpMethod) : undefined;
}

/**
 * A path with what looks like an identifier replaced by `{id}`: a segment holding a digit
 * (a version such as `v1` aside), a percent escape or more than 32 characters. Keeps ids
 * (which may be PHI) out of `meta` and telemetry, and the number of operation ids small.
 */
export function templateOfPath(pathname: string): string {
  const segments = pathname.split("/").map((segment) => (looksLikeIdentifier(segment) ? "{id}" : segment));
  return segments.join("/") || "/";
}

function looksLikeIdentifier(segment: string): boolean {
  if (segment === "" || /^v\d+(\.\d+)?$/i.test(segment)) return false;
  return /[0-9%]/.test(segment) || segment.length > 32;
}

export interface RequestOperation {
  /** The descriptor the pipeline runs: the registry's entry or a made-up one, with the request's literal path. */
  readonly descriptor: OperationDescriptor;
  /** The path shown in `meta`: the registry's template, or the literal path with identifiers replaced. */
  readonly template: string;
  /** Whether a registry entry matched. */
  readonly matched: boolean;
}

/** What a made-up descriptor takes from the adapter's options. */
export interface SynthesisDefaults {
  /** Hints every unmatched request gets (an idempotency header name, a quota). */
  readonly hints: OperationHints;
}

const NO_PARAMETERS: OperationDescriptor["parameters"] = Object.freeze({ path: [], query: [], header: [], cookie: [] });

/**
 * The descriptor for one request. `match` is the registry entry for it (see OperationMatcher),
 * if any. Either way, parameters are cleared (the URL is complete already) and the body is
 * optional (it is the SDK's, already serialized). An SDK that sets an `Idempotency-Key`
 * itself (the Stainless SDKs do, for APIs that honour it) says the provider honours keys,
 * where neither the registry nor the defaults say otherwise.
 */
export function requestOperation(method: HttpMethod, pathname: string, match: OperationDescriptor | undefined, defaults: SynthesisDefaults, sent?: Headers): RequestOperation {
  const made = describe(method, pathname, match, defaults);
  if (made.descriptor.hints.idempotency !== undefined || sent?.has(SDK_KEY_HEADER) !== true) return made;
  return { ...made, descriptor: { ...made.descriptor, hints: { ...made.descriptor.hints, idempotency: { header: SDK_KEY_HEADER, required: false } } } };
}

const SDK_KEY_HEADER = "Idempotency-Key";

function describe(method: HttpMethod, pathname: string, match: OperationDescriptor | undefined, defaults: SynthesisDefaults): RequestOperation {
  if (match !== undefined) {
    const descriptor: OperationDescriptor = {
      ...match,
      path: pathname,
      pathTemplate: match.path,
      parameters: NO_PARAMETERS,
      ...(match.requestBody ? { requestBody: { required: false, contentTypes: match.requestBody.contentTypes } } : {}),
    };
    return { descriptor, template: match.path, matched: true };
  }
  const template = templateOfPath(pathname);
  const descriptor: OperationDescriptor = {
    operationId: `${method.toUpperCase()} ${template}`,
    synthesizedId: true,
    name: method,
    method,
    path: pathname,
    pathTemplate: template,
    safety: safetyOfMethod(method),
    tags: [],
    deprecated: false,
    parameters: NO_PARAMETERS,
    // A body without a Content-Type is sent as bytes, not claimed to be JSON.
    requestBody: { required: false, contentTypes: ["application/octet-stream"] },
    responses: {},
    security: "none",
    hints: defaults.hints,
  };
  return { descriptor, template, matched: false };
}
