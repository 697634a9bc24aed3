/**
 * FHIR RESTful interactions as pipeline operations: each declared interaction of each
 * resource type becomes an OperationDescriptor, so every FHIR call runs through the same
 * policies as any generated OpenAPI operation (breaker groups per resource type).
 */
import type { HttpMethod, OperationDescriptor, SafetyClass } from "../runtime/operation.js";

export type TypeInteraction = "read" | "vread" | "search-type" | "create" | "update" | "patch" | "delete" | "history-instance";
export type SystemInteraction = "transaction" | "batch";

/** What a CapabilityStatement declares, as the generated client hands it to the runtime. */
export interface FhirCapabilityModel {
  readonly resources: Readonly<Record<string, readonly TypeInteraction[]>>;
  readonly system: readonly SystemInteraction[];
  /** System operations by name (`export` for Bulk Data). */
  readonly operations?: readonly string[];
}

const SHAPES: Record<TypeInteraction | SystemInteraction, { method: HttpMethod; path: (type: string) => string; safety: SafetyClass; body?: string }> = {
  read: { method: "get", path: (t) => `/${t}/{id}`, safety: "safe" },
  vread: { method: "get", path: (t) => `/${t}/{id}/_history/{vid}`, safety: "safe" },
  "search-type": { method: "get", path: (t) => `/${t}`, safety: "safe" },
  "history-instance": { method: "get", path: (t) => `/${t}/{id}/_history`, safety: "safe" },
  create: { method: "post", path: (t) => `/${t}`, safety: "unsafe", body: "application/fhir+json" },
  update: { method: "put", path: (t) => `/${t}/{id}`, safety: "idempotent", body: "application/fhir+json" },
  // A JSON Patch may append or move: not idempotent in general.
  patch: { method: "patch", path: (t) => `/${t}/{id}`, safety: "unsafe", body: "application/json-patch+json" },
  delete: { method: "delete", path: (t) => `/${t}/{id}`, safety: "idempotent" },
  transaction: { method: "post", path: () => "/", safety: "unsafe", body: "application/fhir+json" },
  batch: { method: "post", path: () => "/", safety: "unsafe", body: "application/fhir+json" },
};

/** The descriptor of one interaction (`type` is ignored for system interactions). */
export function interactionOperation(type: string, interaction: TypeInteraction | SystemInteraction): OperationDescriptor {
  const shape = SHAPES[interaction];
  const path = shape.path(type);
  const system = interaction === "transaction" || interaction === "batch";
  const name = system ? interaction : `${type}.${interaction}`;
  return {
    operationId: name,
    synthesizedId: false,
    name,
    method: shape.method,
    path,
    safety: shape.safety,
    tags: [system ? "system" : type],
    deprecated: false,
    parameters: {
      path: [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1]!, required: true })),
      query: [],
      header: [],
      cookie: [],
    },
    ...(shape.body ? { requestBody: { required: true, contentTypes: [shape.body] } } : {}),
    responses: {},
    security: "required",
    hints: {
      criticality: shape.safety === "safe" ? "interactive" : "critical",
      // FHIR servers ignore Idempotency-Key: the client vouches for a replay only when the
      // request is conditional (If-None-Exist), where the server itself prevents a duplicate.
      ...(shape.safety === "unsafe" ? { idempotency: { header: "Idempotency-Key", required: false, automatic: false } } : {}),
    },
  };
}
