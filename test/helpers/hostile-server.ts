/**
 * A deliberately broken HTTP server on 127.0.0.1 for hardening tests: each route is told how
 * to misbehave (never answer, drip, reset, lie about lengths or encodings, redirect away, hand
 * out poisoned tokens…). Every request that reaches it is recorded, so a test can prove what
 * did — or did not — reach a second origin. Raw socket writes are used wherever node:http
 * would refuse to produce the defect (invalid header bytes, garbage after the headers).
 *
 *   const hostile = await startHostileServer();
 *   hostile.on("GET /patients/:id", headersThenNothing()).on("POST /oauth/token", [reset(), token("t")]);
 *
 * A list of behaviours is played one per hit; the last one repeats.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import zlib from "node:zlib";

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Filled in when the request body has been read (stays "" if the behaviour cut it short). */
  body: string;
  complete: boolean;
}

export interface Hit {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly socket: Socket;
  readonly request: RecordedRequest;
  /** 1-based count of requests this route has seen, this one included. */
  readonly n: number;
  readonly server: HostileServer;
  /** A timer that is dropped when the socket goes away or the server closes. */
  after(ms: number, fn: () => void): void;
}

/** `beforeBody` behaviours run as soon as the headers are parsed, before the request body is read. */
export type Behaviour = ((hit: Hit) => void | Promise<void>) & { beforeBody?: boolean };

export interface HostileServer {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far: a second origin must see 0, not merely 0 complete requests. */
  readonly connections: number;
  on(route: string, behaviour: Behaviour | readonly Behaviour[]): HostileServer;
  /** What every unrouted request gets (default: 404). */
  script(behaviour: Behaviour | readonly Behaviour[]): HostileServer;
  hits(route: string): number;
  close(): Promise<void>;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly behaviours: readonly Behaviour[];
  hits: number;
}

function compile(route: string): { method: string; pattern: RegExp } {
  const [method = "*", path = "/"] = route.includes(" ") ? route.split(" ", 2) : ["*", route];
  const source = path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/:[A-Za-z]+/g, "[^/]+");
  return { method: method.toUpperCase(), pattern: new RegExp(`^${source}$`) };
}

export async function startHostileServer(): Promise<HostileServer> {
  const routes: Route[] = [];
  let fallback: Route = { method: "*", pattern: /.*/, behaviours: [json(404, { title: "no behaviour scripted" })], hits: 0 };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  let self!: HostileServer;

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routes.find((r) => (r.method === "*" || r.method === req.method) && r.pattern.test(path)) ?? fallback;
    const n = ++route.hits;
    const behaviour = route.behaviours[Math.min(n, route.behaviours.length) - 1] ?? never();
    const request: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "", complete: false };
    requests.push(request);
    const socket = req.socket;
    const hit: Hit = {
      req, res, socket, request, n, server: self,
      after(ms, fn) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!socket.destroyed) fn();
        }, ms);
        timers.add(timer);
      },
    };
    const run = () => Promise.resolve(behaviour(hit)).catch(() => socket.destroy());
    if (behaviour.beforeBody) return void run();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      request.body = Buffer.concat(chunks).toString("utf8");
      request.complete = true;
      void run();
    });
  });
  // The client may linger on a half-answered request for as long as it likes: no server timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.on("connection", (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on("error", () => undefined); // resets are the point, not a crash
    s.on("close", () => sockets.delete(s));
  });
  server.on("clientError", (_e, s: Socket) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const list = (b: Behaviour | readonly Behaviour[]) => (Array.isArray(b) ? [...b] : [b as Behaviour]);
  self = {
    url: origin,
    origin,
    port,
    requests,
    get connections() {
      return connections;
    },
    on(route, behaviour) {
      routes.unshift({ ...compile(route), behaviours: list(behaviour), hits: 0 }); // the latest wins
      return self;
    },
    script(behaviour) {
      fallback = { method: "*", pattern: /.*/, behaviours: list(behaviour), hits: 0 };
      return self;
    },
    hits(route) {
      const { method, pattern } = compile(route);
      return requests.filter((r) => (method === "*" || r.method === method) && pattern.test(r.url.split("?")[0] ?? "")).length;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}

// ---------------------------------------------------------------------------------------------
// Behaviours
// ---------------------------------------------------------------------------------------------

const early = (fn: Behaviour): Behaviour => Object.assign(fn, { beforeBody: true });
const CRLF = "\r\n";
/** Raw status line and headers; `Connection: close` so a client never pipelines behind a defect. */
const head = (status: string, headers: Record<string, string | number>) => `HTTP/1.1 ${status}${CRLF}${Object.entries(headers).map(([k, v]) => `${k}: ${v}${CRLF}`).join("")}${CRLF}`;

/** Accepts the request and never says a word. */
export const never = (): Behaviour => () => undefined;

/** A well-formed answer; `body` as a string is sent verbatim (truncated JSON, HTML…). */
export function json(status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): Behaviour {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return ({ res }) => void res.writeHead(status, { "content-type": "application/json", ...headers }).end(text);
}

export function text(status: number, body: string | Buffer, contentType: string | undefined, headers: http.OutgoingHttpHeaders = {}): Behaviour {
  return ({ res }) => void res.writeHead(status, { ...(contentType ? { "content-type": contentType } : {}), ...headers }).end(body);
}

/** Waits, then behaves as told (a slow token endpoint). */
export const delayed = (ms: number, then: Behaviour): Behaviour => (hit) => hit.after(ms, () => void then(hit));

/** Status and headers promise a body that never comes; the connection stays open. */
export const headersThenNothing = (status = 200, headers: http.OutgoingHttpHeaders = { "content-type": "application/json", "content-length": 512 }): Behaviour => ({ res }) => {
  res.writeHead(status, headers);
  res.flushHeaders();
};

/** The body, a few bytes at a time, slower than any sane timeout. */
export const drip = (body: string, everyMs = 200, bytes = 2): Behaviour => (hit) => {
  hit.res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  hit.res.flushHeaders();
  let at = 0;
  const tick = () => {
    if (at >= body.length) return void hit.res.end();
    hit.res.write(body.slice(at, (at += bytes)));
    hit.after(everyMs, tick);
  };
  hit.after(everyMs, tick);
};

/** Bytes exactly as given, straight onto the socket (what node:http would refuse to send). */
export const raw = (bytes: string | Buffer, then: "close" | "hold" = "close"): Behaviour => ({ socket }) => {
  socket.write(bytes);
  if (then === "close") socket.end();
};

/** Content-Length says one thing, the body another; then close or hold the connection. */
export const lengthMismatch = (declared: number, body: string, then: "close" | "hold"): Behaviour =>
  raw(head("200 OK", { "Content-Type": "application/json", "Content-Length": declared, Connection: "close" }) + body, then);

/** Header bytes no HTTP parser should accept (NUL, bare CR, a space in a name). */
export const invalidHeader = (line = "X-Bad: a\u0000b\rc"): Behaviour =>
  raw(Buffer.from(head("200 OK", { "Content-Type": "application/json", "Content-Length": 2 }).replace(CRLF + CRLF, `${CRLF}${line}${CRLF}${CRLF}`) + "{}", "latin1"));

/** TCP RST, before the request body is read or after it. */
export const reset = (when: "before-body" | "after-body" = "after-body"): Behaviour => {
  const fn: Behaviour = ({ socket }) => void socket.resetAndDestroy();
  return when === "before-body" ? early(fn) : fn;
};

/** A clean FIN where the response should have been. */
export const hangUp = (): Behaviour => ({ socket }) => void socket.end();

/** Headers and part of the body, then RST (a token response cut mid-body). */
export const resetMidBody = (status: number, partial: string, headers: Record<string, string | number> = {}): Behaviour => (hit) => {
  hit.socket.write(head(`${status} X`, { "Content-Type": "application/json", "Content-Length": partial.length * 4, ...headers }) + partial);
  hit.after(30, () => void hit.socket.resetAndDestroy());
};

/** Headers promising gzip, then — in a separate write — bytes that are not gzip. */
export const gzipGarbage = (framing: "length" | "chunked" = "length"): Behaviour => (hit) => {
  const garbage = Buffer.from("\x1f\x8b\x08\x00garbage-not-deflate-\xff\xfe\xfd".repeat(8), "latin1");
  const frame: Record<string, string | number> = framing === "length" ? { "Content-Length": garbage.length } : { "Transfer-Encoding": "chunked" };
  hit.socket.write(head("200 OK", { "Content-Type": "application/json", "Content-Encoding": "gzip", ...frame }));
  hit.after(40, () => void hit.socket.write(framing === "length" ? garbage : `${garbage.length.toString(16)}${CRLF}${garbage.toString("latin1")}${CRLF}`));
};

const bombs = new Map<string, Buffer>();
/**
 * ~1 MB that decodes to ~1 GB (gzip: 1024 concatenated members of 1 MiB of zeros, cheap to
 * build and valid gzip). Brotli and deflate streams cannot be concatenated and compressing
 * a gigabyte takes seconds, so they decode to 128 and 64 MiB: far past any cap under test.
 */
export function bombBytes(encoding: "gzip" | "br" | "deflate"): Buffer {
  let bytes = bombs.get(encoding);
  if (bytes) return bytes;
  const mib = Buffer.alloc(1 << 20);
  if (encoding === "gzip") bytes = Buffer.concat(Array<Buffer>(1024).fill(zlib.gzipSync(mib, { level: 9 })));
  else if (encoding === "br") bytes = zlib.brotliCompressSync(Buffer.alloc(128 << 20), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
  else bytes = zlib.deflateSync(Buffer.alloc(64 << 20), { level: 1 });
  bombs.set(encoding, bytes);
  return bytes;
}

export const bomb = (encoding: "gzip" | "br" | "deflate", status = 200): Behaviour => ({ res }) => {
  const bytes = bombBytes(encoding);
  res.writeHead(status, { "content-type": "application/json", "content-encoding": encoding, "content-length": bytes.length }).end(bytes);
};

/** `bytes` of a JSON-looking body, streamed with backpressure; stops when the client goes. */
export const huge = (bytes: number, options: { status?: number; chunked?: boolean } = {}): Behaviour => ({ res, socket }) => {
  res.writeHead(options.status ?? 200, { "content-type": "application/json", ...(options.chunked ? {} : { "content-length": bytes }) });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  Buffer.from('{"id":"pat_1","pad":"').copy(chunk);
  let sent = 0;
  const pump = () => {
    while (!socket.destroyed && sent < bytes) {
      const piece = sent + chunk.length <= bytes ? chunk : chunk.subarray(0, bytes - sent);
      sent += piece.length;
      if (!res.write(piece)) return void res.once("drain", pump);
    }
    if (!socket.destroyed) res.end();
  };
  pump();
};

/** A redirect; `location` may depend on the hit (a loop that grows, a second origin). */
export const redirect = (status: number, location: string | ((hit: Hit) => string), headers: http.OutgoingHttpHeaders = {}): Behaviour => (hit) =>
  void hit.res.writeHead(status, { location: typeof location === "string" ? location : location(hit), "content-length": 0, ...headers }).end();

/** A token response; `accessToken` may be anything at all (a number, CR LF, megabytes). */
export const token = (accessToken: unknown, extra: Record<string, unknown> = {}): Behaviour =>
  json(200, { access_token: accessToken, token_type: "Bearer", expires_in: 3600, ...extra }, { "cache-control": "no-store" });
