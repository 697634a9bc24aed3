/**
 * Reading requests and writing responses on the wire, defensively: the simulator
 * serves arbitrary specs to arbitrary clients, so nothing here may throw on odd input.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createHash } from "node:crypto";
import { canonicalJson } from "../../runtime/wire/canonical-json.js";

export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

export function safeDecodeURIComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (header(req, "cookie") ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return safeDecodeURIComponent(v.join("="));
  }
  return undefined;
}

/** The whole body, or undefined when it is larger than MAX_BODY_BYTES (the rest is drained). */
export function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** A header value Node will accept: one line of Latin-1, else a placeholder. */
export function headerSafe(value: string): string {
  const clean = value.replace(/[\r\n]+/g, " ").trim();
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(clean) && clean.length > 0 ? clean.slice(0, 4096) : "1";
}

export function send(res: ServerResponse, response: WireResponse, extra: Readonly<Record<string, string>> = {}): void {
  const headers: Record<string, string> = { ...response.headers, ...extra };
  if (response.body !== "") headers["content-length"] = String(Buffer.byteLength(response.body));
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/** Sends the body a few bytes at a time (the slow-drip fault). Stops when the client goes away. */
export async function drip(res: ServerResponse, response: WireResponse, extra: Readonly<Record<string, string>>, intervalMs: number, chunkBytes: number, sleep: (ms: number) => Promise<void>): Promise<void> {
  const body = Buffer.from(response.body);
  res.writeHead(response.status, { ...response.headers, ...extra, "content-length": String(body.length) });
  for (let offset = 0; offset < body.length; offset += Math.max(1, chunkBytes)) {
    if (res.destroyed) return;
    res.write(body.subarray(offset, offset + chunkBytes));
    await sleep(intervalMs);
  }
  res.end();
}

/** One request's identity: who, what, where, and the body as data (not bytes). */
export function requestFingerprint(scope: string, method: string, pathAndQuery: string, body: unknown, raw: Buffer): string {
  const content = body !== undefined && typeof body !== "string" ? canonicalJson(body) : raw.toString("utf8");
  return createHash("sha256").update(`${scope}\n${method.toUpperCase()}\n${pathAndQuery}\n${content}`).digest("hex");
}

/**
 * Listens on `host:port` (0: a free port) and tracks connections, so that `close()` ends
 * keep-alive sockets at once instead of waiting for clients to hang up.
 */
export async function listenTracked(server: Server, port: number, host: string): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
