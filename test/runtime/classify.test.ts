/**
 * Outcome classification: every status class in classify.ts's table,
 * network faults and timeouts by how far the exchange got and how safe the method is,
 * malformed bodies, and the `refine` hook for protocol signals (FHIR OperationOutcome).
 */
import { describe, expect, it } from "@jest/globals";
import {
  AbortedError,
  classify,
  classifyError,
  classifyStatus,
  HttpError,
  InvalidRequestError,
  MalformedResponseError,
  NetworkError,
  TimeoutError,
  UnexpectedError,
  type Classification,
  type ClassifyOptions,
  type Exchange,
  type SafetyClass,
} from "carewire";

const SAFETIES: readonly SafetyClass[] = ["safe", "idempotent", "unsafe"];
const READS: readonly SafetyClass[] = ["safe", "idempotent"];

function exchange(status: number, body: unknown = undefined, headers: Record<string, string> = {}): Exchange {
  const bytes = body === undefined ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(body));
  return { request: new Request("http://x/"), response: new Response(null, { status, headers }), body: bytes };
}

function ofStatus(status: number, safety: SafetyClass, options?: ClassifyOptions): Classification {
  return classify({ exchange: exchange(status), safety }, options);
}

function ofError(error: unknown, safety: SafetyClass, options?: ClassifyOptions): Classification {
  return classify({ error, safety }, options);
}

describe("classify: HTTP statuses", () => {
  it.each([200, 201, 202, 204, 206, 301, 302, 304, 307, 308])("treats %i as ok", (status) => {
    for (const safety of SAFETIES) expect(ofStatus(status, safety)).toEqual({ outcome: "ok", reason: `HTTP ${status}` });
  });

  it.each([429, 503])("treats %i as throttled for every method", (status) => {
    for (const safety of SAFETIES) expect(ofStatus(status, safety)).toEqual({ outcome: "throttled", reason: `HTTP ${status}` });
  });

  it.each([502, 504, 408])("treats %i as retryable for every method", (status) => {
    for (const safety of SAFETIES) expect(ofStatus(status, safety)).toEqual({ outcome: "retryable", reason: `HTTP ${status}` });
  });

  it.each([500, 501, 505, 507, 508, 511, 599])("treats %i as permanent by default", (status) => {
    for (const safety of SAFETIES) expect(ofStatus(status, safety)).toEqual({ outcome: "permanent", reason: `HTTP ${status}` });
  });

  it("retries a 5xx only when the provider opts in through retryStatuses, and only that status", () => {
    const options: ClassifyOptions = { retryStatuses: [500] };
    expect(ofStatus(500, "safe", options).outcome).toBe("retryable");
    expect(ofStatus(500, "unsafe", options).outcome).toBe("retryable");
    expect(ofStatus(501, "safe", options).outcome).toBe("permanent");
    expect(ofStatus(505, "safe", options).outcome).toBe("permanent");
    expect(classifyStatus(500, options)).toEqual({ outcome: "retryable", reason: "HTTP 500" });
    expect(classifyStatus(500)).toEqual({ outcome: "permanent", reason: "HTTP 500" });
  });

  it("keeps the built-in classes of 429/503/502 when retryStatuses is given", () => {
    const options: ClassifyOptions = { retryStatuses: [500, 501] };
    expect(ofStatus(429, "safe", options).outcome).toBe("throttled");
    expect(ofStatus(503, "safe", options).outcome).toBe("throttled");
    expect(ofStatus(502, "safe", options).outcome).toBe("retryable");
    expect(ofStatus(501, "safe", options).outcome).toBe("retryable");
  });

  it("treats 401 as an auth failure (refresh once), never as retryable", () => {
    for (const safety of SAFETIES) expect(ofStatus(401, safety)).toEqual({ outcome: "auth", reason: "HTTP 401" });
  });

  it.each([409, 412])("treats %i as a conflict, which is not retried", (status) => {
    for (const safety of SAFETIES) expect(ofStatus(status, safety)).toEqual({ outcome: "conflict", reason: `HTTP ${status}` });
  });

  it.each([400, 402, 403, 404, 405, 406, 410, 411, 413, 414, 415, 418, 422, 425, 426, 428, 431, 451])(
    "fails fast on %i as permanent",
    (status) => {
      for (const safety of SAFETIES) expect(ofStatus(status, safety)).toEqual({ outcome: "permanent", reason: `HTTP ${status}` });
    },
  );

  it("classifies by status alone, whatever the body or headers say", () => {
    const withHints = exchange(503, { resourceType: "OperationOutcome" }, { "retry-after": "5" });
    expect(classify({ exchange: withHints, safety: "unsafe" })).toEqual({ outcome: "throttled", reason: "HTTP 503" });
  });

  it("is pure: the same exchange always gets the same class", () => {
    const input = { exchange: exchange(504), safety: "unsafe" as const };
    expect(classify(input)).toEqual(classify(input));
    expect(classifyStatus(504)).toEqual(classifyStatus(504));
  });
});

describe("classify: network faults", () => {
  it("retries a connect-phase fault for every method, because nothing was sent", () => {
    for (const safety of SAFETIES) {
      expect(ofError(new NetworkError("connect ECONNREFUSED", "connect", "ECONNREFUSED"), safety)).toEqual({
        outcome: "retryable",
        reason: "network ECONNREFUSED before send",
      });
    }
  });

  it.each(["request", "body"] as const)("retries a %s-phase fault on safe and idempotent methods", (phase) => {
    for (const safety of READS) {
      expect(ofError(new NetworkError("socket hang up", phase, "ECONNRESET"), safety)).toEqual({
        outcome: "retryable",
        reason: "network ECONNRESET",
      });
    }
  });

  it.each(["request", "body"] as const)("marks a %s-phase fault on an unsafe method as unknown-outcome", (phase) => {
    expect(ofError(new NetworkError("socket hang up", phase, "ECONNRESET"), "unsafe")).toEqual({
      outcome: "unknown-outcome",
      reason: "network ECONNRESET after send",
    });
  });

  it("leaves the code out of the reason when the fault has none", () => {
    expect(ofError(new NetworkError("reset", "request", undefined), "unsafe")).toEqual({ outcome: "unknown-outcome", reason: "network after send" });
    expect(ofError(new NetworkError("refused", "connect", undefined), "unsafe")).toEqual({ outcome: "retryable", reason: "network before send" });
  });

  it("gives classifyError the same answer as classify", () => {
    const error = new NetworkError("reset", "body", "ECONNRESET");
    for (const safety of SAFETIES) expect(classifyError(error, safety)).toEqual(ofError(error, safety));
  });
});

describe("classify: timeouts", () => {
  it.each(["request", "body"] as const)("retries a %s-phase timeout on safe and idempotent methods", (phase) => {
    for (const safety of READS) {
      expect(ofError(new TimeoutError(5_000, phase), safety)).toEqual({ outcome: "retryable", reason: "timeout after 5000 ms" });
    }
  });

  it.each(["request", "body"] as const)("marks a %s-phase timeout on an unsafe method as unknown-outcome", (phase) => {
    expect(ofError(new TimeoutError(5_000, phase), "unsafe")).toEqual({ outcome: "unknown-outcome", reason: "timeout after 5000 ms" });
  });
});

describe("classify: malformed responses", () => {
  const malformed = new MalformedResponseError("truncated JSON", 200, '{"id":"p');

  it("retries a malformed success body on safe and idempotent methods", () => {
    for (const safety of READS) expect(ofError(malformed, safety)).toEqual({ outcome: "retryable", reason: "malformed 200 body" });
  });

  it("marks a malformed success body on an unsafe method as unknown-outcome (the write was applied)", () => {
    expect(ofError(malformed, "unsafe")).toEqual({ outcome: "unknown-outcome", reason: "malformed 200 body" });
  });
});

describe("classify: other errors", () => {
  it("treats the caller's abort as permanent, for every method", () => {
    for (const safety of SAFETIES) expect(ofError(new AbortedError(new Error("user cancelled")), safety)).toEqual({ outcome: "permanent", reason: "aborted" });
  });

  it("treats other carewire errors as permanent, with their kind as the reason", () => {
    expect(ofError(new InvalidRequestError("missing path parameter"), "safe")).toEqual({ outcome: "permanent", reason: "invalid-request" });
    expect(ofError(new UnexpectedError("policy threw"), "safe")).toEqual({ outcome: "permanent", reason: "unexpected" });
    expect(ofError(new HttpError(500, undefined, new Response(null, { status: 500 })), "safe")).toEqual({ outcome: "permanent", reason: "http" });
  });

  it("treats foreign errors and thrown non-errors as permanent and unexpected", () => {
    for (const thrown of [new Error("boom"), new TypeError("x is undefined"), "a string", undefined, null, 42]) {
      expect(ofError(thrown, "safe")).toEqual({ outcome: "permanent", reason: "unexpected" });
    }
  });
});

describe("classify: the refine hook", () => {
  type RefineInput = Parameters<NonNullable<ClassifyOptions["refine"]>>[0];

  /** FHIR: a 4xx whose OperationOutcome says `throttled` is a throttle, `transient` a retryable fault. */
  function fhirIssueCodes(input: RefineInput): readonly string[] {
    if (!("exchange" in input) || input.exchange.body.byteLength === 0) return [];
    const parsed: unknown = JSON.parse(new TextDecoder().decode(input.exchange.body));
    if (typeof parsed !== "object" || parsed === null || !("resourceType" in parsed) || parsed.resourceType !== "OperationOutcome") return [];
    const issues = "issue" in parsed && Array.isArray(parsed.issue) ? (parsed.issue as unknown[]) : [];
    return issues.flatMap((issue) => (typeof issue === "object" && issue !== null && "code" in issue && typeof issue.code === "string" ? [issue.code] : []));
  }

  const fhir: ClassifyOptions = {
    refine(input, byDefault) {
      const codes = fhirIssueCodes(input);
      if (codes.includes("throttled")) return { outcome: "throttled", reason: `${byDefault.reason} (FHIR throttled)` };
      if (codes.includes("transient")) return { outcome: "retryable", reason: `${byDefault.reason} (FHIR transient)` };
      return undefined;
    },
  };

  function outcome(issueCode: string) {
    return { resourceType: "OperationOutcome", issue: [{ severity: "error", code: issueCode, diagnostics: "try later" }] };
  }

  it("turns a 400 whose OperationOutcome says throttled into throttled", () => {
    expect(classify({ exchange: exchange(400, outcome("throttled")), safety: "unsafe" }, fhir)).toEqual({
      outcome: "throttled",
      reason: "HTTP 400 (FHIR throttled)",
    });
  });

  it("turns a 500 whose OperationOutcome says transient into retryable", () => {
    expect(classify({ exchange: exchange(500, outcome("transient")), safety: "safe" }, fhir)).toEqual({
      outcome: "retryable",
      reason: "HTTP 500 (FHIR transient)",
    });
  });

  it("keeps the default class when the hook returns undefined", () => {
    expect(classify({ exchange: exchange(400, outcome("invalid")), safety: "safe" }, fhir)).toEqual({ outcome: "permanent", reason: "HTTP 400" });
    expect(classify({ exchange: exchange(409), safety: "safe" }, fhir)).toEqual({ outcome: "conflict", reason: "HTTP 409" });
    expect(classify({ error: new TimeoutError(1_000, "request"), safety: "unsafe" }, fhir)).toEqual({
      outcome: "unknown-outcome",
      reason: "timeout after 1000 ms",
    });
  });

  it("sees the input and the default class, for exchanges and for errors alike", () => {
    const seen: Array<{ input: RefineInput; byDefault: Classification }> = [];
    const options: ClassifyOptions = {
      retryStatuses: [500],
      refine(input, byDefault) {
        seen.push({ input, byDefault });
        return undefined;
      },
    };
    const ex = exchange(500);
    const error = new NetworkError("reset", "request", "ECONNRESET");
    classify({ exchange: ex, safety: "idempotent" }, options);
    classify({ error, safety: "unsafe" }, options);

    expect(seen).toHaveLength(2);
    expect(seen[0]?.input).toEqual({ exchange: ex, safety: "idempotent" });
    expect(seen[0]?.byDefault).toEqual({ outcome: "retryable", reason: "HTTP 500" });
    expect(seen[1]?.input).toEqual({ error, safety: "unsafe" });
    expect(seen[1]?.byDefault).toEqual({ outcome: "unknown-outcome", reason: "network ECONNRESET after send" });
  });

  it("can override an error's class too (e.g. a provider that never applies a reset write)", () => {
    const options: ClassifyOptions = {
      refine: (input, byDefault) => ("error" in input && byDefault.outcome === "unknown-outcome" ? { outcome: "retryable", reason: "provider is transactional" } : undefined),
    };
    expect(ofError(new NetworkError("reset", "body", "ECONNRESET"), "unsafe", options)).toEqual({ outcome: "retryable", reason: "provider is transactional" });
    expect(ofError(new NetworkError("reset", "body", "ECONNRESET"), "unsafe")).toEqual({ outcome: "unknown-outcome", reason: "network ECONNRESET after send" });
  });
});
