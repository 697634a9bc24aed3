/**
 * `carewire/fhir/r4`: the FHIR R4 resource and datatype types (from @types/fhir) that
 * generated FHIR clients and apps use, reachable through carewire itself: package managers
 * with a strict layout (pnpm) do not let an app import carewire's own dependencies.
 */
export type * from "fhir/r4.js";
