/** RFC 9457 problem details, the simulator's own error format (except OAuth and 429 bodies, which follow the provider). */
import type { ServerResponse } from "node:http";

export interface FieldError {
  /** JSON path of the offending field, e.g. `body.birthDate` or `query.pageSize`. */
  readonly field: string;
  readonly message: string;
}

export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
}

export function problemBody(problem: Problem): Record<string, unknown> {
  return {
    type: `https://carewire.dev/problems/${problem.status}`,
    title: problem.title,
    status: problem.status,
    ...(problem.detail !== undefined ? { detail: problem.detail } : {}),
    ...(problem.errors !== undefined ? { errors: problem.errors } : {}),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = "application/json"): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export function sendProblem(res: ServerResponse, problem: Problem, headers: Record<string, string> = {}): void {
  sendJson(res, problem.status, problemBody(problem), headers, "application/problem+json");
}
