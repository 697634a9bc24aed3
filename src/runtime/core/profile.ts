/**
 * A protocol profile: what a family of servers means beyond plain HTTP. FHIR is one: its
 * OperationOutcome issue codes refine how an attempt is classified, its error answers
 * become FhirError, and a resource read is checked against the resource it must be.
 * A pipeline has one profile; every operation of it, generated or built, runs through it.
 */
import type { ClassifyOptions } from "./classify.js";
import type { HttpError } from "./http-errors.js";
import type { OperationDescriptor } from "./operation.js";

export interface BodyIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** What a profile found in a 2xx body. */
export interface BodyCheck {
  /** The body is not what the operation returns: the call fails with ContractViolationError (the body is kept). */
  readonly violations?: readonly BodyIssue[];
  /** Elements the protocol does not define: kept in the data, reported in `meta.drift.unknownFields`. */
  readonly unknownFields?: readonly string[];
}

export interface ProtocolProfile {
  /** Refines the class of an attempt the status alone cannot tell (see ClassifyOptions.refine). */
  readonly refine?: ClassifyOptions["refine"];
  /** The error for a non-2xx answer and its decoded body (default: HttpError.from, by status family). */
  readonly httpError?: (status: number, body: unknown, response: Response) => HttpError<unknown, "http" | "fhir">;
  /** Checks a decoded 2xx body beyond the operation's schema; may throw (the pipeline turns it into a typed error). */
  readonly check?: (value: unknown, operation: OperationDescriptor, status: number) => BodyCheck | undefined;
}
