/**
 * carewire's public API: the runtime pipeline generated clients call, its errors,
 * result types and the policy seam. Code generation is `carewire generate` (CLI) or
 * `carewire/codegen`.
 */
export { z } from "zod";
export { createPipeline, type ClientOptions, type Pipeline, type PipelineOptions } from "./runtime/pipeline.js";
export type {
  HttpMethod,
  OperationDescriptor,
  OperationHints,
  OperationSchemas,
  ParameterDescriptor,
  ParameterLocation,
  ResponseDescriptor,
  SafetyClass,
} from "./runtime/operation.js";
export {
  AbortedError,
  AuthenticationError,
  CarewireError,
  CircuitOpenError,
  ContractViolationError,
  RateLimitedError,
  UnknownOutcomeError,
  HttpError,
  ClientError,
  BadRequestError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  PreconditionFailedError,
  UnprocessableEntityError,
  TooManyRequestsError,
  ServerError,
  InternalServerError,
  BadGatewayError,
  ServiceUnavailableError,
  GatewayTimeoutError,
  InvalidRequestError,
  LimitExceededError,
  MalformedResponseError,
  UntrustedUrlError,
  NetworkError,
  TimeoutError,
  UnexpectedError,
  type ErrorKind,
  type LimitName,
} from "./runtime/errors.js";
export type { AttemptRecord, DataSource, RateLimitState, ResultMeta } from "./runtime/provenance.js";
export { classify, classifyError, classifyStatus, type Classification, type ClassifyOptions, type OutcomeClass } from "./runtime/classify.js";
export { readServerHints, type RateLimitSnapshot, type ServerHints } from "./runtime/server-hints.js";
export { backoffDelay, jitterAbove, RetryBudget, type BackoffOptions, type JitterStrategy, type RetryBudgetOptions } from "./runtime/backoff.js";
export { retryPolicy, type RetryOptions } from "./runtime/retry.js";
export { idempotencyPolicy, deriveIdempotencyKey } from "./runtime/idempotency.js";
export { pacingPolicy, MemoryPacingStore, type PacingOptions, type PacingStore, type Lane } from "./runtime/pacing.js";
export { breakerPolicy, MemoryBreakerStore, type BreakerOptions, type BreakerStore, type BreakerRecord, type BreakerState } from "./runtime/breaker.js";
export { cachePolicy, MemoryCacheStore, parseCacheControl, type CacheEntry, type CacheOptions, type CacheStore } from "./runtime/cache.js";
export { bearerAuthPolicy } from "./runtime/auth/bearer.js";
export { clientCredentials, type ClientCredentialsOptions } from "./runtime/auth/client-credentials.js";
export { postTokenRequest, resolveTokenUrl } from "./runtime/auth/token-endpoint.js";
export { isTokenSource, type IssuedToken, type TokenDeps, type TokenRequestContext, type TokenSource } from "./runtime/auth/token-source.js";
export { systemClock, type Clock } from "./runtime/clock.js";
export { redact, type CarewireEvent, type LoggerLike, type TelemetryEvent, type TelemetryOptions } from "./runtime/telemetry.js";
export { composePolicies, type CallContext, type Next, type Policy } from "./runtime/policy.js";
export type { Exchange, FetchLike } from "./runtime/transport.js";
export {
  critical,
  readTolerantly,
  tolerantObject,
  type AllOfSchema,
  type AnyOfSchema,
  type ArraySchema,
  type BodySchema,
  type DriftIssue,
  type DriftReport,
  type EnumSchema,
  type LeafSchema,
  type ObjectSchema,
  type PackedSchema,
  type Schema,
  type SchemaLeaf,
  type TolerantReadResult,
} from "./runtime/tolerant.js";
export {
  unwrap,
  type CallError,
  type PipelineError,
  type CallInput,
  type CallOptions,
  type CallResult,
  type ErrorBody,
  type OperationArgs,
  type SuccessData,
} from "./runtime/types.js";
