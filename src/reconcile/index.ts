/** Reconciliation: compare what the app believes it delivered with what the provider holds. */
export { reconcile, type ReconcileOptions } from "./reconcile.js";
export type { Compare, Key, KeyOf, ReconcileSource, ReconcileTarget } from "./types.js";
export { arraySource, ndjsonSource, DEFAULT_MAX_LINE_BYTES, type NdjsonSourceOptions } from "./sources.js";
export { fhirTarget, identifierValue, DEFAULT_FHIR_BATCH_SIZE, type FhirTargetOptions, type SearchableResource } from "./fhir-target.js";
export { operationTarget, type OperationTargetOptions } from "./operation-target.js";
export { compareFields, diffPaths, type CompareFieldsOptions } from "./compare.js";
export { formatReport, inSync, keyHasher, type HashKeys, type ReconcileReport } from "./report.js";
export { outboxRepair, type OutboxRepairOptions } from "./repair.js";
export { openCheckpoint, type Checkpoint, type CheckpointState, type Phase, type RunIdentity } from "./checkpoint.js";
export { CheckpointError, CheckpointMismatchError, ReconcileError, SourceError } from "./errors.js";
export type { BatchResult, CheckpointResults } from "./checkpoint.js";
