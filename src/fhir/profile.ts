/**
 * FHIR as a protocol profile of the pipeline: OperationOutcome issue codes refine how an
 * attempt is classified (for retry and breaker alike), an error answer carrying an
 * OperationOutcome becomes a FhirError, and a 2xx body is checked against what the
 * interaction returns: the resource type, an id, Bundle structure. Elements R4 does not
 * define are kept and reported as drift; in strict mode the official schema decides.
 */
import type { ProtocolProfile } from "../runtime/core/profile.js";
import type { OperationDescriptor } from "../runtime/core/operation.js";
import { HttpError } from "../runtime/core/http-errors.js";
import { fhirSchemaIssues, unknownFhirElements } from "./fhir-schema.js";
import { FhirError, isOperationOutcome, refineFhirClassification } from "./outcome.js";
import { shapeIssues, type ExpectedBody } from "./shape.js";

export interface FhirProfileOptions {
  /** Validate every resource read against the official R4 JSON schema. */
  readonly strict?: boolean;
  /** What a 2xx body of an operation must be (undefined: anything). */
  readonly expected: (operation: OperationDescriptor) => ExpectedBody | undefined;
}

export function fhirProfile(options: FhirProfileOptions): ProtocolProfile {
  return {
    refine: refineFhirClassification,
    httpError: (status, body, response) => (isOperationOutcome(body) ? new FhirError(status, body, response) : HttpError.from(status, body, response)),
    check(value, operation, status) {
      const expected = options.expected(operation);
      const violations = expected && shapeIssues(value, expected, status);
      if (violations) return { violations };
      if (value === undefined || value === null || typeof value !== "object") return undefined;
      const unknownFields = unknownFhirElements(value);
      if (options.strict && typeof (value as { resourceType?: unknown }).resourceType === "string") {
        const issues = fhirSchemaIssues(value);
        if (issues.length > 0) return { violations: issues, unknownFields };
      }
      return { unknownFields };
    },
  };
}
