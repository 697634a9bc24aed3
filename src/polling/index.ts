/** `carewire/polling`: progressive polling with durable checkpoints. */
export { poller, type Poller, type PollerOptions } from "./poller.js";
export { DEFAULT_CADENCE, type Cadence, type CadenceOptions } from "./cadence.js";
export { memoryPollCheckpointStore, type PollCheckpointStore } from "./checkpoint-store.js";
export { sqlitePollCheckpointStore } from "./sqlite-checkpoint-store.js";
export type { SqliteLocation } from "../outbox/durable-sqlite.js";
export { redisPollCheckpointStore, type RedisPollCheckpointOptions } from "./redis-checkpoint-store.js";
export type { RedisClient, RedisTarget } from "../runtime/stores/redis/redis-target.js";
export { postgresPollCheckpointStore, type CheckpointPool, type PostgresPollCheckpointOptions } from "./postgres-checkpoint-store.js";
export { fhirChangesTarget, type ChangedSinceParams, type ChangedSinceSearch, type NewestFirstParams, type FhirChangesTargetOptions } from "./fhir-changes-target.js";
export { conditionalReadTarget, type ConditionalRead, type ConditionalReadTargetOptions } from "./conditional-read-target.js";
export { operationTarget, type OperationTargetOptions } from "./operation-target.js";
export { PollingError, PollOptionsError, PollCheckpointError, PollDataError, type PollingErrorKind } from "./errors.js";
export type { PollEvent, PollEventAbout, PollObserver } from "./events.js";
export type { ChangeBatch, PollCheckpoint, PollContext, PolledChanges, PollTarget } from "./types.js";
