/**
 * What the runtime knows about an operation: exactly the registry entry the
 * generated code hands it. The runtime never imports from `generated/`.
 */
import type { BodySchema } from "../tolerant/tolerant.js";
import type { PaginationDescriptor } from "../pagination/descriptor.js";

export type HttpMethod = "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace";
/** The methods an OpenAPI path item may hold, in the order the specification lists them. */
export const HTTP_METHODS: readonly HttpMethod[] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * RFC 9110 method classes: `safe` may be repeated freely, `idempotent` may be repeated
 * with the same effect, `unsafe` must never be repeated without an idempotency key.
 */
export type SafetyClass = "safe" | "idempotent" | "unsafe";

export type ParameterLocation = "path" | "query" | "header" | "cookie";

export interface ParameterDescriptor {
  readonly name: string;
  readonly required: boolean;
  /** OpenAPI serialization style; absent means the location's default. */
  readonly style?: string;
  readonly explode?: boolean;
}

export interface ResponseDescriptor {
  /** Media types declared for this status, in document order. */
  readonly contentTypes: readonly string[];
  /** Response headers the spec documents (lower-cased). */
  readonly headers: readonly string[];
}

/** Policy hints read from `x-carewire-*` extensions (see docs/x-carewire.md). */
export interface OperationHints {
  readonly rateLimit?: {
    readonly limit?: number;
    readonly windowSeconds?: number;
    readonly scope?: "client_id" | "tenant" | "user" | "ip" | "global";
    readonly algorithm?: "sliding-window" | "fixed-window" | "token-bucket";
    /** A named budget inside the quota (e.g. `token` for the token endpoint). */
    readonly bucket?: string;
    /** Quotas the provider counts beside requests, by name (e.g. `fhirInteractions`, counted in points). */
    readonly quotas?: Readonly<Record<string, { readonly limit: number; readonly windowSeconds: number }>>;
  };
  /**
   * Units of each quota one call spends, by quota name (`x-carewire-cost`): `requests` (1
   * unless said) and any other quota the provider counts, e.g. `{ fhirInteractions: 20 }`
   * for a FHIR search. A quota not named costs 1 unit.
   */
  readonly cost?: Readonly<Record<string, number>>;
  readonly idempotency?: {
    readonly header: string;
    readonly required: boolean;
    /**
     * `false` for servers that ignore idempotency keys (FHIR servers do): no key is made
     * up. Default true: the provider honours the key, so a write carrying one is replayed
     * when its outcome is unknown. Without this hint at all a key is still sent, but a write
     * is replayed only when the call says a replay is safe (`replaySafe`, as conditional
     * requests do).
     */
    readonly automatic?: boolean;
  };
  readonly cache?: {
    readonly policy: "no-store" | "revalidate" | "max-age";
    readonly maxAgeSeconds?: number;
    readonly staleIfErrorSeconds?: number;
  };
  readonly criticality?: "critical" | "interactive" | "batch";
}

export interface OperationDescriptor {
  /** operationId as in the spec, or synthesised deterministically when missing. */
  readonly operationId: string;
  /** True when the spec had no operationId and carewire made one. */
  readonly synthesizedId: boolean;
  /** The generated client's function name (a valid identifier). */
  readonly name: string;
  readonly method: HttpMethod;
  /** Path template as in the spec, e.g. `/patients/{patientId}`. */
  readonly path: string;
  /**
   * Where `path` is a request's literal path (a request `carewireFetch` passes through),
   * the template telemetry shows instead: ids in a path are PHI and would make every
   * request a metric series of its own.
   */
  readonly pathTemplate?: string;
  readonly safety: SafetyClass;
  readonly summary?: string;
  readonly tags: readonly string[];
  readonly deprecated: boolean;
  readonly parameters: {
    readonly [L in ParameterLocation]: readonly ParameterDescriptor[];
  };
  readonly requestBody?: {
    readonly required: boolean;
    readonly contentTypes: readonly string[];
  };
  /** Keyed by status code, `1XX`..`5XX` ranges or `default`. */
  readonly responses: { readonly [status: string]: ResponseDescriptor };
  /** Whether the operation needs credentials (operation-level `security` or the document default). */
  readonly security: "required" | "none";
  readonly hints: OperationHints;
  /**
   * Whether a response of this operation can ever be served from the cache. Codegen decides
   * it from the spec (a GET or HEAD the spec does not mark `no-store`); operations without
   * it get no cache lookup at all. Absent (hand-written descriptors): cacheable when a read.
   */
  readonly cacheable?: boolean;
  /** How the operation pages (`x-carewire-pagination`, or a style codegen recognised); absent: it does not. */
  readonly pagination?: PaginationDescriptor;
}

/** Body schemas the generated code attaches to an operation (read tolerantly, in one pass). */
export interface OperationSchemas {
  readonly request?: BodySchema;
  readonly responses: { readonly [status: string]: BodySchema };
}

/**
 * Whether the spec says the provider honours idempotency keys (`x-carewire-idempotency`, or a
 * declared `Idempotency-Key` header parameter, and not `false`): only there does a write
 * carrying a key become safe to send again.
 */
export function honoursIdempotencyKeys(hints: OperationHints): hints is OperationHints & { readonly idempotency: NonNullable<OperationHints["idempotency"]> } {
  return hints.idempotency !== undefined && hints.idempotency.automatic !== false;
}
