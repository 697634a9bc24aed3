/**
 * A real Redis Cluster on 127.0.0.1 for tests: three masters (a replica each when asked),
 * each a redis-server on fresh ports (its client port and its cluster bus port), an empty temporary
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
const MASTERS = 3;
const READY_TIMEOUT_MS = 30_000;
/**
 * How long a node may be silent before the others fail it over, where there are replicas to
 * fail over to. Without replicas Redis's default stays: a short timeout on a loaded machine
 * would fail a node that is only slow, and with no replica the cluster would stop serving.
 */
const FAILOVER_NODE_TIMEOUT_MS = 2_000;

export interface RedisCluster {
  /** `redis://127.0.0.1:<port>` of every master: the seed nodes a client is given. */
  readonly nodes: readonly string[];
  /** The `redis://` URL of the master serving `key` now. */
  masterOf(key: string): Promise<string>;
  /** Resolves once every replica of `master` has applied all it wrote so far. */
  replicated(master: string): Promise<void>;
  /** Kills one node (SIGKILL: no goodbye to the cluster), as a crashed or unreachable host. */
  kill(node: string): Promise<void>;
  /** Resolves once every live node sees the cluster ok with `key`'s slot served by a master other than `dead`. */
  failedOver(key: string, dead: string): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Replicas per master (0 unless asked). */
  readonly replicas?: number;
}

/** redis-cli, which comes with redis-server (Debian's redis-tools). */
function redisCliBinary(): string {
  const beside = path.join(path.dirname(redisServerBinary()), "redis-cli");
  return withDebianPackage("redis-tools", () => (existsSync(beside) ? beside : undefined), "redis-cli binary");
}

/** A port taken between its choice and the node's start makes the node exit: one more try, on fresh ports. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  try {
    return await startOnce(options.replicas ?? 0);
  } catch {
    return startOnce(options.replicas ?? 0);
  }
}

async function startOnce(replicas: number): Promise<RedisCluster> {
  const nodes = MASTERS * (1 + replicas);
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
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
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
    for (let i = 0; i < nodes; i++) {
      // Two ports of its own per node: Redis would put the bus at port + 10000, which may be taken.
      const port = await freePort();
      const bus = await freePort();
      const home = path.join(dir, String(port));
      mkdirSync(home);
      const child = spawn(
        server,
        [
          ...["--port", String(port), "--cluster-port", String(bus), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
          ...["--save", "", "--appendonly", "no", "--dir", home, "--protected-mode", "no", "--logfile", "redis.log"],
          // A replica that has not finished its first sync can never take over: sync at once.
          ...(replicas > 0 ? ["--cluster-node-timeout", String(FAILOVER_NODE_TIMEOUT_MS), "--repl-diskless-sync-delay", "0"] : []),
        ],
        { stdio: "ignore" },
      );
      children.push(child);
      ports.push(port);
    }
    await until(async () => {
      if (children.some((child) => child.exitCode !== null)) throw new Error("a cluster node exited before it answered");
      return (await Promise.all(ports.map((port) => answers(cli, port, ["PING"])))).every((answer) => answer === "PONG");
    }, "the cluster's nodes to answer");
    await run(cli, ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", String(replicas), "--cluster-yes"], { timeout: READY_TIMEOUT_MS });
    // Every node must know every slot's owner before a client asks it.
    await until(async () => (await Promise.all(ports.map((port) => answers(cli, port, ["CLUSTER", "INFO"])))).every((info) => info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${nodes}`)), "the cluster to be ok on every node");
  } catch (error) {
    await stop();
    throw error;
  }
  const urlOf = (port: number) => `redis://127.0.0.1:${port}`;
  const portOf = (url: string) => Number(new URL(url).port);
  const live = () => ports.filter((_, i) => children[i]?.exitCode === null && children[i]?.signalCode === null);
  /** The master serving `key`'s slot, as the node at `port` sees it. */
  const masterSeenBy = async (port: number, key: string): Promise<number | undefined> => {
    const slot = Number(await answers(cli, port, ["CLUSTER", "KEYSLOT", key]));
    for (const line of (await answers(cli, port, ["CLUSTER", "NODES"])).split("\n")) {
      const [, address, flags, , , , , state, ...ranges] = line.split(" ");
      if (!flags?.includes("master") || flags.includes("fail") || state !== "connected") continue;
      const serves = ranges.some((range) => {
        const [from, to = from] = range.split("-").map(Number);
        return from !== undefined && to !== undefined && slot >= from && slot <= to;
      });
      if (serves) return Number(address!.split(":")[1]!.split("@")[0]);
    }
    return undefined;
  };
  // Each replica in sync with its master, or a failover in a test would find none to promote.
  if (replicas > 0) {
    await until(async () => {
      const roles = await Promise.all(ports.map((port) => answers(cli, port, ["INFO", "replication"])));
      return roles.filter((info) => info.includes("role:slave")).length === MASTERS * replicas && roles.every((info) => !info.includes("role:slave") || info.includes("master_link_status:up"));
    }, "every replica to sync with its master").catch(async (error: unknown) => {
      await stop();
      throw error;
    });
  }
  const masters: number[] = [];
  for (const line of (await answers(cli, ports[0]!, ["CLUSTER", "NODES"])).split("\n")) {
    // A master serves slots (listed after its link state); a node just made a replica may still be listed without.
    const [, address, flags, , , , , , ...slots] = line.split(" ");
    if (flags?.includes("master") && slots.length > 0) masters.push(Number(address!.split(":")[1]!.split("@")[0]));
  }
  return {
    nodes: masters.map(urlOf),
    masterOf: async (key) => {
      const port = await masterSeenBy(live()[0]!, key);
      if (port === undefined) throw new Error(`no master serves ${key}`);
      return urlOf(port);
    },
    replicated: (master) =>
      until(async () => {
        const info = await answers(cli, portOf(master), ["INFO", "replication"]);
        const written = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
        const applied = [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)].map((match) => Number(match[1]));
        return applied.length > 0 && applied.every((offset) => offset >= written);
      }, `the replicas of ${master} to catch up`),
    kill: async (node) => {
      const child = children[ports.indexOf(portOf(node))];
      if (child === undefined) throw new Error(`${node} is not a node of this cluster`);
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      });
    },
    failedOver: (key, dead) =>
      until(async () => {
        const seen = await Promise.all(live().map(async (port) => ({ info: await answers(cli, port, ["CLUSTER", "INFO"]), master: await masterSeenBy(port, key) })));
        return seen.every(({ info, master }) => info.includes("cluster_state:ok") && master !== undefined && master !== portOf(dead));
      }, `the cluster to fail ${dead} over`),
    stop,
  };
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
