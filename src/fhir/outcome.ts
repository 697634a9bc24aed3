/**
 * FHIR errors: a non-2xx answer carrying an OperationOutcome becomes a
 * typed `FhirError` with its issues, and the issue codes refine retry classification:
 * the status alone cannot tell a 500 "transient" (retry) from a 500 "exception" (do not),
 * nor a 409 "lock-error" (retry) from a 409 "duplicate" (never).
 */
import type { OperationOutcome, OperationOutcomeIssue } from "fhir/r4.js";
import { classifyStatus, type Classification, type ClassifyInput, type OutcomeClass } from "../runtime/core/classify.js";
import { UntrustedUrlError } from "../runtime/core/errors.js";
import { HttpError } from "../runtime/core/http-errors.js";
import { isJsonBody, parseJsonBody } from "../runtime/wire/read-body.js";

/**
 * A FHIR server's error answer: an HttpError whose body is an OperationOutcome (so
 * `instanceof HttpError` holds and `status` is there), with `kind: "fhir"`.
 */
export class FhirError extends HttpError<OperationOutcome, "fhir"> {
  constructor(status: number, outcome: OperationOutcome, response: Response) {
    super(status, outcome, response, "fhir");
    // Codes only: diagnostics and details are the server's free text and may name a patient.
    this.message = `FHIR ${status}: ${summarize(outcome.issue)}`;
  }

  get outcome(): OperationOutcome {
    return this.body;
  }

  get issues(): readonly OperationOutcomeIssue[] {
    return this.outcome.issue;
  }

  /** What the status means for the caller, as for any HTTP answer: 412 and 409 are `conflict` (sending it again repeats the collision). */
  get outcomeClass(): OutcomeClass {
    return classifyStatus(this.status).outcome;
  }

  /** Issue codes, most severe first as the server listed them. */
  get codes(): readonly string[] {
    return this.outcome.issue.map((i) => i.code);
  }
}

export { UntrustedUrlError };

/** `error not-found; warning informational`: severities and codes the spec defines, nothing else. */
function summarize(issues: readonly OperationOutcomeIssue[]): string {
  const token = (v: unknown) => (typeof v === "string" && /^[a-z-]{1,40}$/.test(v) ? v : "?");
  const parts = issues.slice(0, 3).map((i) => `${token(i.severity)} ${token(i.code)}`);
  return parts.length > 0 ? parts.join("; ") : "no issues given";
}

/** An OperationOutcome whose issues are objects with a string `code` (what the retry rules read). */
export function isOperationOutcome(value: unknown): value is OperationOutcome {
  if (typeof value !== "object" || value === null || (value as { resourceType?: unknown }).resourceType !== "OperationOutcome") return false;
  const issues = (value as { issue?: unknown }).issue;
  return Array.isArray(issues) && issues.every((i) => typeof i === "object" && i !== null && typeof (i as { code?: unknown }).code === "string");
}

/** Codes that say "the same request may work later". */
const TRANSIENT_CODES = new Set(["transient", "lock-error", "timeout", "incomplete", "no-store"]);
/** Codes that say the request itself is at fault: repeating it repeats the failure. */
const REQUEST_FAULT_CODES = new Set([
  "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown", "expired", "forbidden", "suppressed",
  "processing", "not-supported", "duplicate", "multiple-matches", "not-found", "deleted", "too-long", "code-invalid", "extension",
  "too-costly", "business-rule", "conflict",
]);

/** The OperationOutcome in an exchange's body, if there is one. */
function outcomeOf(input: ClassifyInput): OperationOutcome | undefined {
  if (!("exchange" in input) || !isJsonBody(input.exchange)) return undefined;
  try {
    const body = input.exchange.json ? input.exchange.json.value : parseJsonBody(input.exchange);
    return isOperationOutcome(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The classify hook for FHIR servers: `throttled` → throttled; a transient code → retryable;
 * a code that blames the request → permanent, whatever the status. 412 stays a conflict
 * (a stale If-Match is never fixed by sending it again); without issues the status decides.
 */
export function refineFhirClassification(input: ClassifyInput, byDefault: Classification): Classification | undefined {
  if (byDefault.outcome === "ok" || byDefault.outcome === "auth") return undefined;
  if ("exchange" in input && input.exchange.response.status === 412) return undefined;
  const outcome = outcomeOf(input);
  if (!outcome) return undefined;
  const codes = outcome.issue.filter((i) => i.severity === "error" || i.severity === "fatal").map((i) => i.code);
  const reason = `${byDefault.reason} ${codes.join(",")}`;
  if (codes.includes("throttled")) return { outcome: "throttled", reason };
  if (codes.some((c) => TRANSIENT_CODES.has(c))) return { outcome: "retryable", reason };
  if (codes.length > 0 && codes.every((c) => REQUEST_FAULT_CODES.has(c))) return { outcome: byDefault.outcome === "conflict" ? "conflict" : "permanent", reason };
  return undefined;
}
