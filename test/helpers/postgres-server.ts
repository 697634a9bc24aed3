/**
 * A real PostgreSQL 15 on 127.0.0.1 for tests and benchmarks: a fresh port and a fresh data
 * directory per server, removed by `stop()`. Where the binaries are missing, Debian's
 * `postgresql` package is installed (CI and these machines run as root), like the Redis
 * helper does.
 *
 * initdb and postgres refuse to run as root: as root, the data directory is handed to the
 * `postgres` user and both run as that user. fsync is off unless asked for (`durable`): test
 * servers hold test data only; a benchmark of write rates runs with it on, as production does.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { withDebianPackage } from "./debian-package.js";
import { freePort } from "./redis-server.js";

const START_TIMEOUT_MS = 60_000;

export interface PostgresServer {
  readonly port: number;
  /** The `postgres` database, as the superuser `postgres` (trust: no password). */
  readonly url: string;
  /** A new empty database; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server at once and removes its data directory. */
  stop(): Promise<void>;
}

/** The directory holding initdb and postgres, installed with apt where there is none. */
export function postgresBinDir(): string {
  return withDebianPackage("postgresql", findBinDir, "initdb");
}

function findBinDir(): string | undefined {
  const candidates = ["/usr/lib/postgresql/15/bin"];
  for (const command of ["pg_config --bindir", "dirname \"$(readlink -f \"$(command -v initdb)\")\""]) {
    try {
      candidates.push(execFileSync("sh", ["-c", command], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    } catch {
      // not on this machine
    }
  }
  return candidates.find((dir) => dir !== "" && existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "postgres")));
}

/** Who runs the server: the `postgres` user when we are root (it refuses root), else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

export async function startPostgres(options: { readonly durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const user = serverUser();
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-postgres-"));
  const data = path.join(dir, "data");
  if (user) chownSync(dir, user.uid, user.gid);
  // Node sets the uid and gid itself: no su or runuser process between us and the server.
  const asUser = { ...(user ?? {}), cwd: dir, env: { ...process.env, LC_ALL: "C" } };
  execFileSync(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--encoding=UTF8", "--no-locale"], { ...asUser, stdio: "ignore", timeout: START_TIMEOUT_MS });
  const child: ChildProcess = spawn(
    path.join(bin, "postgres"),
    ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", ...(options.durable ? [] : ["-c", "fsync=off", "-c", "full_page_writes=off"]), "-c", "max_connections=200"],
    { ...asUser, stdio: "ignore" },
  );
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const onExit = () => {
    child.kill("SIGKILL");
    removeDir();
  };
  process.once("exit", onExit);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  async function stop(): Promise<void> {
    process.removeListener("exit", onExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      // SIGQUIT: the immediate shutdown; the postmaster ends its backends itself.
      child.kill("SIGQUIT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    removeDir();
  }

  try {
    await waitUntilReady(url, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    url,
    stop,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
  };
}

/** Polls with a real query until the server answers (it refuses connections while it starts). */
async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited (${String(child.exitCode ?? child.signalCode)}) before it answered`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`postgres did not answer within ${START_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
