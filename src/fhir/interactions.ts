/**
 * FHIR RESTful interactions as pipeline operations: each declared interaction of each
 * resource type becomes an OperationDescriptor, so every FHIR call runs through the same
 * policies as any generated OpenAPI operation (breaker groups per resource type).
 */
import type { HttpMethod, OperationDescriptor, SafetyClass } from "../runtime/core/operation.js";
import { FHIR_INTERACTION_POINTS, FHIR_POINTS_QUOTA, UNKNOWN_ENTRY_POINTS } from "./prices.js";

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
  const { path, ...shape } = SHAPES[interaction];
  const system = interaction === "transaction" || interaction === "batch";
  // A Bundle is priced by its entries when it is sent; until then, as one write.
  const points = system ? UNKNOWN_ENTRY_POINTS : FHIR_INTERACTION_POINTS[interaction];
  return fhirOperation({ operationId: system ? interaction : `${type}.${interaction}`, tag: system ? "system" : type, path: path(type), ...shape, points });
}

/** A FHIR request as a pipeline operation: one builder for interactions and Bulk Data alike. */
export function fhirOperation(spec: { operationId: string; tag: string; method: HttpMethod; path: string; safety: SafetyClass; body?: string; criticality?: "critical" | "interactive" | "batch"; points?: number }): OperationDescriptor {
  const { operationId, path, safety, body } = spec;
  return {
    operationId,
    synthesizedId: false,
    name: operationId,
    method: spec.method,
    path,
    safety,
    tags: [spec.tag],
    deprecated: false,
    parameters: {
      path: [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1]!, required: true })),
      query: [],
      header: [],
      cookie: [],
    },
    ...(body ? { requestBody: { required: true, contentTypes: [body] } } : {}),
    responses: {},
    security: "required",
    hints: {
      criticality: spec.criticality ?? (safety === "safe" ? "interactive" : "critical"),
      // FHIR servers ignore Idempotency-Key: none is made up. The client marks a write
      // replay-safe only when it is conditional (If-None-Exist), where the server itself
      // prevents a duplicate.
      ...(safety === "unsafe" ? { idempotency: { header: "Idempotency-Key", required: false, automatic: false } } : {}),
      // What the server's points quota charges (requests still count 1).
      ...(spec.points !== undefined ? { cost: { [FHIR_POINTS_QUOTA]: spec.points } } : {}),
    },
  };
}

/** `W/"3"` from `3` (a version id already in ETag form is kept as it is). */
export function weakEtag(version: string): string {
  return version.startsWith("W/") ? version : `W/"${version}"`;
}
