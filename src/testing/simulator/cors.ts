/**
 * Cross-origin access for browser apps run against the simulator from a dev server on
 * another port: any origin may call it (it serves made-up data on a local port), read the
 * headers the runtime reads (rate limits, Retry-After, ETag…), and have its preflights
 * answered without reaching an operation, a quota or the request log.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Adds CORS headers to the response of a request from a browser; true when it was a preflight, answered here. */
export function answerCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  res.setHeader("access-control-allow-origin", origin);
  res.setHeader("vary", "Origin");
  res.setHeader("access-control-expose-headers", "*");
  const requestedMethod = req.headers["access-control-request-method"];
  if (req.method !== "OPTIONS" || requestedMethod === undefined) return false;
  res.writeHead(204, {
    "access-control-allow-methods": requestedMethod,
    "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "",
    "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
    "content-length": "0",
  });
  res.end();
  return true;
}
