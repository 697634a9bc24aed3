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
  CarewireError,
  HttpError,
  InvalidRequestError,
  MalformedResponseError,
  NetworkError,
  TimeoutError,
  UnexpectedError,
  type ErrorKind,
} from "./runtime/errors.js";
export type { AttemptRecord, ResultMeta } from "./runtime/provenance.js";
export { composePolicies, type CallContext, type Next, type Policy } from "./runtime/policy.js";
export type { Exchange, FetchLike } from "./runtime/transport.js";
export { readTolerantly, tolerantObject, type DriftIssue, type DriftReport } from "./runtime/tolerant.js";
export {
  unwrap,
  type CallError,
  type CallInput,
  type CallOptions,
  type CallResult,
  type ErrorBody,
  type OperationArgs,
  type SuccessData,
} from "./runtime/types.js";
