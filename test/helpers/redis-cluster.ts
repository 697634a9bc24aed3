/**
 * A real Redis Cluster on 127.0.0.1 for tests: three masters (no replicas), each a
 * redis-server on fresh ports (its client port and its cluster bus port), an empty temporary
 * directory each, nothing persisted, the 16,384 slots split among them by `redis-cli --cluster
 * create`. What a store must do on a cluster (keep each script's keys on one slot, follow
 * MOVED) is then tested against the real thing. Binaries are installed from Debian's packages
 * where missing, as for a single server.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { withDebianPackage } from "./debian-package.js";
import { freePort, redisServerBinary } from "./redis-server.js";

const run = promisify(execFile);
const NODES = 3;
const READY_TIMEOUT_MS = 30_000;

export interface RedisCluster {
  /** `redis://127.0.0.1:<port>` of every master: the seed nodes a client is given. */
  readonly nodes: readonly string[];
  stop(): Promise<void>;
}

/** redis-cli, which comes with redis-server (Debian's redis-tools). */
function redisCliBinary(): string {
  const beside = path.join(path.dirname(redisServerBinary()), "redis-cli");
  return withDebianPackage("redis-tools", () => (existsSync(beside) ? beside : undefined), "redis-cli binary");
}

/** A port taken between its choice and the node's start makes the node exit: one more try, on fresh ports. */
export async function startRedisCluster(): Promise<RedisCluster> {
  try {
    return await startOnce();
  } catch {
    return startOnce();
  }
}

async function startOnce(): Promise<RedisCluster> {
  const server = redisServerBinary();
  const cli = redisCliBinary();
  const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-redis-cluster-"));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      children.splice(0).map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => {
    for (const child of children) child.kill("SIGKILL");
  });
  try {
    for (let i = 0; i < NODES; i++) {
      // Two ports of its own per node: Redis would put the bus at port + 10000, which may be taken.
      const port = await freePort();
      const bus = await freePort();
      const home = path.join(dir, String(port));
      mkdirSync(home);
      const child = spawn(
        server,
        ["--port", String(port), "--cluster-port", String(bus), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no", "--dir", home, "--protected-mode", "no"],
        { stdio: "ignore" },
      );
      children.push(child);
      ports.push(port);
    }
    await until(async () => {
      if (children.some((child) => child.exitCode !== null)) throw new Error("a cluster node exited before it answered");
      return (await Promise.all(ports.map((port) => answers(cli, port, ["PING"])))).every((answer) => answer === "PONG");
    }, "the cluster's nodes to answer");
    await run(cli, ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: READY_TIMEOUT_MS });
    // Every node must know every slot's owner before a client asks it.
    await until(async () => (await Promise.all(ports.map((port) => answers(cli, port, ["CLUSTER", "INFO"])))).every((info) => info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${NODES}`)), "the cluster to be ok on every node");
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => `redis://127.0.0.1:${port}`), stop };
}

async function answers(cli: string, port: number, command: string[]): Promise<string> {
  try {
    const { stdout } = await run(cli, ["-h", "127.0.0.1", "-p", String(port), ...command], { timeout: 2_000 });
    return stdout.trim();
  } catch {
    return "";
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
