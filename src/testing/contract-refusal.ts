/**
 * Why an operation could not be exercised, in one line a user can act on: the status and
 * what the server said about it. The server's message is shortened and stripped of the
 * values it may echo back (quoted strings, long numbers, e-mail addresses), because a
 * clinic's server may repeat patient data in its errors and this line ends up in CI logs.
 */
import { isObject } from "../codegen/json.js";

const MESSAGE_LIMIT = 120;

export function refusalReason(status: number, text: string, credentials: "given" | "demo" | "none"): string {
  const said = serverMessage(text);
  const head =
    (status === 401 || status === 403) && credentials !== "given"
      ? `refused with ${status}: ${credentials === "demo" ? "only the simulator's demo client was tried" : "no credentials were given"}`
      : status === 429
        ? `refused with 429: still throttled after waiting out Retry-After`
        : `refused with ${status}`;
  return said ? `${head} (the server said: ${said})` : head;
}

/** The human part of an error body: the usual message fields of JSON errors, or plain text. */
export function serverMessage(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.startsWith("<")) return undefined;
  let found: string | undefined;
  try {
    found = messageIn(JSON.parse(trimmed), 0);
  } catch {
    found = trimmed.split("\n")[0];
  }
  return found ? shorten(redact(found)) : undefined;
}

function messageIn(value: unknown, depth: number): string | undefined {
  if (typeof value === "string") return value;
  if (depth > 3) return undefined;
  if (Array.isArray(value)) return messageIn(value[0], depth + 1);
  if (!isObject(value)) return undefined;
  for (const key of ["message", "detail", "error_description", "title", "description", "error", "errors", "issue"]) {
    const found = value[key] === undefined ? undefined : messageIn(value[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

function redact(message: string): string {
  return message
    .replace(/\s+/g, " ")
    .replace(/"[^"]*"|'[^']*'|“[^”]*”/g, "'…'")
    .replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, "…@…")
    .replace(/\d[\d\s./:-]{3,}\d/g, "…");
}

function shorten(message: string): string {
  return message.length <= MESSAGE_LIMIT ? message : `${message.slice(0, MESSAGE_LIMIT - 1)}…`;
}
