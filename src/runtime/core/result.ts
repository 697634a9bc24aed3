/**
 * The end of a call: its last attempt's result becomes `{ data, error, response, meta }`.
 * A 2xx body is read tolerantly (unknown fields kept and reported, critical fields
 * enforced) and checked by the protocol profile; an error status becomes the profile's
 * error (HttpError by status family by default). Whatever the server sent, reading it ends
 * in a result, never a rejection.
 */
import type { AttemptResult } from "./attempt.js";
import type { Call } from "./call.js";
import { CarewireError, ContractViolationError, MalformedResponseError } from "./errors.js";
import { HttpError } from "./http-errors.js";
import { metaOf } from "./meta.js";
import { nameOperation } from "./name-operation.js";
import type { ProtocolProfile } from "./profile.js";
import type { Result } from "./types.js";
import { NO_DRIFT, type DriftReport } from "../tolerant/tolerant.js";
import { readBody, type DecodedBody } from "../wire/read-body.js";

const utf8 = new TextDecoder();

export function resultOf(call: Call, result: AttemptResult, profile: ProtocolProfile): Result<unknown, CarewireError> {
  const { exchange, notes } = result;
  if (exchange === undefined || result.error !== undefined) {
    const error = result.error ?? new MalformedResponseError("no response and no error", 0, "");
    error.meta = metaOf(call, notes, undefined, NO_DRIFT);
    return { error, response: undefined, meta: error.meta };
  }
  const { response } = exchange;
  if (exchange.streamed) return { data: response.body, response, meta: metaOf(call, notes, response, NO_DRIFT) };
  const failWith = (error: CarewireError, drift: DriftReport = NO_DRIFT): Result<unknown, CarewireError> => {
    error.meta = metaOf(call, notes, response, drift);
    return { error, response, meta: error.meta };
  };
  let decoded: DecodedBody;
  try {
    decoded = readBody(exchange, call.schemas, call.operation.method);
  } catch (cause) {
    // Data nested past what the reader can walk, a string too long to decode: still the server's data.
    if (response.ok) return failWith(cause instanceof CarewireError ? cause : new MalformedResponseError(`the ${response.status} body could not be read`, response.status, "", { cause }));
    // An error status with an unreadable body is still an HTTP error; keep the text.
    decoded = { value: utf8.decode(exchange.body), drift: NO_DRIFT };
  }
  if (!response.ok) return failWith(nameOperation((profile.httpError ?? HttpError.from)(response.status, decoded.value, response), call.operation), decoded.drift);
  // Tolerance stops at fields the spec marks critical: the caller must not act on this.
  if (decoded.critical !== undefined && decoded.critical.length > 0) return failWith(new ContractViolationError(response.status, decoded.critical, decoded.value), decoded.drift);
  let drift = decoded.drift;
  if (profile.check !== undefined) {
    try {
      const found = profile.check(decoded.value, call.operation, response.status);
      if (found?.unknownFields !== undefined && found.unknownFields.length > 0) drift = { unknownFields: [...drift.unknownFields, ...found.unknownFields], issues: drift.issues };
      if (found?.violations !== undefined && found.violations.length > 0) return failWith(new ContractViolationError(response.status, found.violations, decoded.value), drift);
    } catch (cause) {
      return failWith(new MalformedResponseError(`the ${response.status} body could not be checked`, response.status, "", { cause }), drift);
    }
  }
  return { data: decoded.value, response, meta: metaOf(call, notes, response, drift) };
}
