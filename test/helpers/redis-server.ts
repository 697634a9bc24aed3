/**
 * A real redis-server on 127.0.0.1 for tests and benchmarks: a fresh port and an empty
 * temporary directory per server, nothing persisted. Where the binary is missing it is
 * installed from Debian's packages (CI and these machines run as root), so `npm ci` and
 * `npm test` need nothing installed by hand. `stop()` and `start()` again on the same port
 * play a Redis restart.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { withDebianPackage } from "./debian-package.js";

const CANDIDATES = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];
const START_TIMEOUT_MS = 15_000;

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL with `hard`: a crash, not a shutdown). */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port, empty (nothing is persisted). */
  start(): Promise<void>;
}

/** The redis-server binary, installed with apt where there is none. */
export function redisServerBinary(): string {
  return withDebianPackage("redis-server", findBinary, "redis-server binary");
}

function findBinary(): string | undefined {
  for (const candidate of CANDIDATES) if (existsSync(candidate)) return candidate;
  try {
    const which = execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim();
    return which === "" ? undefined : which;
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const binary = redisServerBinary();
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-redis-"));
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "no"], { stdio: "ignore" });
    const started = child;
    const exited = new Promise<never>((_, reject) => started.once("exit", (code) => reject(new Error(`redis-server exited (${String(code)}) before it answered`))));
    exited.catch(() => undefined);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await Promise.race([answersPing(port), exited]))) {
      if (Date.now() > deadline) {
        started.kill("SIGKILL");
        throw new Error(`redis-server did not answer on port ${port} within ${START_TIMEOUT_MS} ms`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(options: { hard?: boolean } = {}): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill(options.hard ? "SIGKILL" : "SIGTERM");
    await exited;
  }

  await start();
  process.once("exit", () => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return { port, url: `redis://127.0.0.1:${port}`, start, stop };
}

/** One PING over a raw socket, bounded: true when the server answers PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}
