/**
 * `carewire/outbox`: writes recorded durably before they are sent, delivered by workers
 * through the pipeline with one idempotency key each, dead letters for a person, and replay
 * that never writes twice. SQLite (better-sqlite3) and PostgreSQL (pg) are optional peer
 * dependencies, loaded only by the store that needs them.
 */
export { createOutbox, type EnqueueOptions, type Enqueued, type Outbox, type OutboxOptions } from "./outbox.js";
export { createWorker, type OutboxWorker, type WorkerOptions, type WorkerStats } from "./worker.js";
export type { DeliveryReport } from "./deliver.js";
export { DEFAULT_DELIVERY_RULES, dispositionOf, type DeliveryRules, type Disposition } from "./disposition.js";
export { fhirOperations, operationsOf, type DeliveryResult, type FhirOperationsOf, type InputOf, type OperationTable, type OperationsOf, type OutboxOperation } from "./operations.js";
export { intentKey } from "./intent-key.js";
export { observeOutbox, type ObserveOutboxOptions, type OutboxObservation } from "../runtime/observe/observe-outbox.js";
export { memoryOutboxStore } from "./memory-outbox-store.js";
export { OutboxDriverMissingError, OutboxError, OutboxInputError, OutboxStoreError } from "./errors.js";
export type { Claim, DeadReason, DeliveryRecord, IntentRecord, IntentStatus, IntentSummary, Json, ListFilter, NewIntent, OutboxCounts, OutboxStore } from "./outbox-store.js";
export { sqliteOutboxStore, type SqliteOutboxOptions } from "./sqlite-outbox-store.js";
export { postgresOutboxStore, type PostgresConnection, type PostgresOutboxOptions, type PostgresPool, type PostgresPoolClient } from "./postgres-outbox-store.js";
export { openOutboxStore, OUTBOX_URL_VARIABLE, type OpenOutboxOptions } from "./open-store.js";
export type { WorkerDeps } from "./worker.js";
export type { KeyOptions } from "./intent-key.js";
export type { DeliveredError } from "./disposition.js";
