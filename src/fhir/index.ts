/**
 * `carewire/fhir`: the FHIR R4 runtime that generated FHIR clients (from a
 * CapabilityStatement) import: typed search values, FHIR-aware errors and retries,
 * paging, conditional writes, transaction Bundles and Provenance.
 */
export { BundleBuilder } from "./bundle.js";
export { BundleEntryError, entryOutcomes, type EntryOutcome } from "./bundle-response.js";
export { bulkExport, type BulkExportJob, type BulkExportRequest, type BulkManifest } from "./bulk-export.js";
export { ndjsonLines } from "./ndjson.js";
export {
  createFhirClient,
  type CreateOptions,
  type CreateResult,
  type FhirCallError,
  type FhirClientCore,
  type FhirClientOptions,
  type FhirResult,
  type InteractionMethods,
  type JsonPatchOperation,
  type ResourceClient,
  type SystemClient,
  type UpdateOptions,
} from "./client.js";
export { interactionOperation, type FhirCapabilityModel, type SystemInteraction, type TypeInteraction } from "./interactions.js";
export { bundlePoints, entryInteraction, FHIR_INTERACTION_POINTS, FHIR_POINTS_QUOTA } from "./prices.js";
export { fhirSchemaIssues, unknownFhirElements } from "./fhir-schema.js";
export { FhirError, isOperationOutcome, refineFhirClassification, UntrustedUrlError } from "./outcome.js";
export { provenanceFor, writeSource, type ProvenanceOptions } from "./provenance.js";
export {
  identifierCondition,
  searchQuery,
  type CommonSearchParams,
  type CompositeParam,
  type DateParam,
  type FhirDateValue,
  type NumberParam,
  type QuantityParam,
  type ReferenceParam,
  type SearchPrefix,
  type SearchValue,
  type SortKey,
  type SpecialParam,
  type StringParam,
  type TokenParam,
  type UriParam,
} from "./search.js";
export {
  discoverSmartConfiguration,
  signClientAssertion,
  smartBackendAuth,
  smartTokenRequestBody,
  type SmartBackendOptions,
  type SmartConfiguration,
} from "./smart-backend.js";
export type { FhirFailure, FhirSuccess, LinkTarget } from "./client.js";
export type { BulkDeps } from "./bulk-export.js";
export type { NdjsonOptions } from "./ndjson.js";
export * from "./subscriptions/index.js";
export type { NotificationSink } from "./subscriptions/receiver.js";
export type { SubscriptionRequest } from "./subscriptions/subscription-resource.js";
