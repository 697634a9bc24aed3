/**
 * What one contract check came to: passed, failed, or not exercised. A server that refuses
 * the request itself (a 4xx that blames what was sent: invalid, conflicting, a stale
 * version, too large, an unsupported format) has neither kept nor broken its contract on
 * that interaction, so the check is not exercised, with the server's reason, and never
 * counted as a pass. A refusal of a declared interaction as such (404 on the type, 405,
 * 501), a refused login, a 5xx and an answer that breaks R4 are failures.
 */
import { HttpError } from "../../runtime/core/http-errors.js";
import type { FhirCallError } from "../../fhir/client.js";
import { FhirError } from "../../fhir/outcome.js";

export type FhirCheckOutcome = "passed" | "failed" | "notExercised";

/** Statuses that blame the request rather than the server. */
const REQUEST_REFUSED = new Set([400, 409, 412, 413, 415, 422]);

/** Whether an answer's status blames the request rather than the server. */
export function isRequestRefusal(status: number): boolean {
  return REQUEST_REFUSED.has(status);
}

export interface CheckVerdict {
  readonly outcome: FhirCheckOutcome;
  readonly problems: readonly string[];
  /** Why the check was not exercised. */
  readonly reason?: string;
}

/** The verdict on a call's error (if any) and the problems the check found in its answer. */
export function verdictOf(error: FhirCallError | undefined, problems: readonly string[] = []): CheckVerdict {
  if (error === undefined) return problems.length === 0 ? { outcome: "passed", problems } : { outcome: "failed", problems };
  const described = `${error.kind}: ${error.message}`;
  if (error instanceof HttpError && REQUEST_REFUSED.has(error.status)) return { outcome: "notExercised", problems: [], reason: `the server refused the request (${described}${diagnostics(error)})` };
  return { outcome: "failed", problems: [described, ...problems] };
}

/**
 * What the server said about the refused request. The request carried a synthetic sample,
 * never a patient's data, so the server's words about it can be shown: they say what to fix.
 */
function diagnostics(error: FhirCallError): string {
  if (!(error instanceof FhirError)) return "";
  const said = (error.body.issue ?? []).map((i) => i.diagnostics ?? i.details?.text).filter((d): d is string => typeof d === "string" && d.length > 0);
  return said.length > 0 ? `: ${said.join("; ").slice(0, 300)}` : "";
}

/** A check that could not be sent: what it depends on did not happen. */
export function notExercised(reason: string): CheckVerdict {
  return { outcome: "notExercised", problems: [], reason };
}
