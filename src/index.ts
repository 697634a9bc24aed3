/**
 * carewire's public API: the runtime pipeline generated clients call, its errors,
 * result types and the policy seam. Code generation is `carewire generate` (CLI) or
 * `carewire/codegen`.
 */
export { createPipeline, DEFAULT_TIMEOUT_MS, type ClientOptions, type Pipeline, type PipelineOptions } from "./runtime/core/pipeline.js";
export type {
  HttpMethod,
  OperationDescriptor,
  OperationHints,
  OperationSchemas,
  ParameterDescriptor,
  ParameterLocation,
  ResponseDescriptor,
  SafetyClass,
} from "./runtime/core/operation.js";
export type { CallSettings } from "./runtime/core/options.js";
export { checkClientOptions } from "./runtime/core/check-options.js";
export type { Settings } from "./runtime/core/settings.js";
export { KindedError } from "./runtime/core/kinded-error.js";
export { AbortedError, AuthenticationError, CarewireError, CircuitOpenError, ContractViolationError, RateLimitedError, UnknownOutcomeError, InvalidRequestError, LimitExceededError, MalformedResponseError, UntrustedUrlError, NetworkError, TimeoutError, UnexpectedError, type ErrorKind, type LimitName } from "./runtime/core/errors.js";
export { HttpError, ClientError, BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, ConflictError, PreconditionFailedError, UnprocessableEntityError, TooManyRequestsError, ServerError, InternalServerError, BadGatewayError, ServiceUnavailableError, GatewayTimeoutError } from "./runtime/core/http-errors.js";
export type { AttemptRecord, DataSource, RateLimitState, ResultMeta } from "./runtime/core/meta.js";
export { classify, classifyError, classifyStatus, type Classification, type ClassifyOptions, type OutcomeClass } from "./runtime/core/classify.js";
export { readServerHints, type RateLimitPolicy, type RateLimitSnapshot, type ServerHints } from "./runtime/wire/server-hints.js";
export { backoffDelay, jitterAbove, RetryBudget, type BackoffOptions, type JitterStrategy, type RetryBudgetOptions } from "./runtime/policies/backoff.js";
export { retryPolicy, type RetryOptions } from "./runtime/policies/retry.js";
export { idempotencyPolicy, deriveIdempotencyKey } from "./runtime/policies/idempotency.js";
export { pacingPolicy, type CostConfig, type OperationCost, type PacingOptions, type PacingPolicy, type Lane } from "./runtime/policies/pacing.js";
export { breakerPolicy, defaultGroupOf, type BreakerOptions, type BreakerState } from "./runtime/policies/breaker.js";
export { cachePolicy, parseCacheControl, type CacheOptions } from "./runtime/policies/cache.js";
export { bearerAuthPolicy, type BearerAuthOptions } from "./runtime/policies/bearer-auth.js";
export { MemoryQuotaStore } from "./runtime/stores/memory-quota-store.js";
export { FailoverQuotaStore, type FailoverOptions } from "./runtime/stores/failover-quota-store.js";
export { LeasingQuotaStore, type LeaseOptions } from "./runtime/stores/leasing-quota-store.js";
export { memoryStore, REDIS_URL_VARIABLE, type SharedStore } from "./runtime/stores/shared-store.js";
export { redisStore, type RedisStoreOptions, type SharedPart } from "./runtime/stores/redis/redis-store.js";
export type { RedisClient, RedisTarget } from "./runtime/stores/redis/redis-target.js";
export type { SharedState, StateListener } from "./runtime/stores/fallback.js";
export type { RedisCacheOptions } from "./runtime/stores/redis/redis-cache-options.js";
export { MemoryTokenStore, tokenKey, type StoredToken, type TokenStore } from "./runtime/stores/token-store.js";
export { FailoverTokenStore } from "./runtime/stores/failover-token-store.js";
export { FailoverBreakerStore } from "./runtime/stores/failover-breaker-store.js";
export type { AcquireAnswer, AcquireRequest, Awaitable, QuotaDemand, QuotaKnowledge, QuotaObservation, QuotaStore, QuotaWindow, TenantShare } from "./runtime/stores/quota-store.js";
export { extraId } from "./runtime/stores/quota-store.js";
export { MemoryBreakerStore, type BreakerOutcome, type BreakerRules, type BreakerStore, type CircuitChange, type CircuitView, type ProbeAnswer } from "./runtime/stores/breaker-store.js";
export { MemoryCacheStore, type CacheEntry, type CacheStore } from "./runtime/stores/cache-store.js";
export { clientCredentials, type ClientCredentialsOptions } from "./runtime/auth/client-credentials.js";
export { postTokenRequest, resolveTokenUrl } from "./runtime/auth/token-endpoint.js";
export { isTokenSource, type IssuedToken, type TokenDeps, type TokenRequestContext, type TokenSource } from "./runtime/auth/token-source.js";
export { systemClock, type Clock } from "./runtime/core/clock.js";
export { redact, type CarewireEvent, type LoggerLike, type TelemetryEvent, type TelemetryOptions } from "./runtime/core/telemetry.js";
export {
  annotateLast,
  composePolicies,
  joinNotes,
  noted,
  refusal,
  withHeader,
  type AttemptPlan,
  type AttemptResult,
  type Notes,
  type Policy,
  type Send,
} from "./runtime/core/attempt.js";
export { Call } from "./runtime/core/call.js";
// OpenTelemetry: the option's types, the call observer, the outbox gauges.
export * from "./runtime/observe/index.js";
export type { BodyCheck, BodyIssue, ProtocolProfile } from "./runtime/core/profile.js";
export type { Exchange, FetchLike } from "./runtime/wire/transport.js";
export {
  readTolerantly,
  type AllOfSchema,
  type AnyOfSchema,
  type ArraySchema,
  type BodySchema,
  type ZodLike,
  type DriftIssue,
  type DriftReport,
  type EnumSchema,
  type LeafSchema,
  type ObjectSchema,
  type PackedSchema,
  type Schema,
  type SchemaLeaf,
  type TolerantReadResult,
} from "./runtime/tolerant/tolerant.js";
export {
  unwrap,
  type CallError,
  type PipelineError,
  type CallInput,
  type CallOptions,
  type CallResult,
  type Result,
  type ErrorBody,
  type OperationArgs,
  type OptionalHeaders,
  type SuccessData,
} from "./runtime/core/types.js";
export { carewireFetch, type CarewireFetchOptions, type CarewireFetchReport, type StandardFetch } from "./runtime/fetch-adapter/carewire-fetch.js";
export type { OperationRegistry } from "./runtime/fetch-adapter/operation-matcher.js";
// Paging for generated OpenAPI clients (`<operation>All` / `<operation>Pages`).
export * from "./runtime/pagination/index.js";
export type { RawCallInput, RequestTarget } from "./runtime/wire/request.js";
export type { CallInit } from "./runtime/core/call.js";
export type { TenantBudget } from "./runtime/policies/pacing-tenants.js";
export type { Directives as CacheControlDirectives } from "./runtime/policies/cache.js";
export type { ClassifyInput } from "./runtime/core/classify.js";
export type { FailoverAnswer } from "./runtime/stores/failover-quota-store.js";
export { recordEvents, type EventRecorder, type OutboxEvent, type RecordedEvent, type RecordEventsOptions, type RecorderStats } from "./runtime/observe/record-events.js";
