/**
 * carewire's hold on a Redis connection: ioredis, loaded only when a Redis store is made
 * (an app without one never pays for it), and every command bounded in time, so a slow or
 * stopped Redis turns into an error the stores fall back from, never a hung call.
 *
 * ioredis over node-redis: it runs Lua by SHA with a fall back to the script text,
 * reconnects by itself, can refuse commands while disconnected instead of queueing them
 * (`enableOfflineQueue: false`: a stale acquire replayed after a reconnect would record a
 * send that never happened), and speaks Sentinel and Cluster with the same API. On a
 * Cluster every script's keys share one hash tag (one slot), so each runs on the one node
 * that owns them, and the client follows the cluster as slots move.
 */
import { KindedError } from "../../core/kinded-error.js";
import { nodeBuiltin, requireOptional } from "../../portable/node-builtin.js";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import { clusterOptions, connectingEveryNode, isCluster } from "./cluster.js";
import type { RedisTarget } from "./redis-target.js";

export interface RedisConnectionOptions extends RedisTarget {
  /** Longest wait for one command, ms. Default 250. */
  readonly commandTimeoutMs?: number;
  /** Longest wait for the first connection (every master of a Cluster), ms. Default 2 000. */
  readonly connectTimeoutMs?: number;
}

export class RedisUnavailableError extends KindedError {
  readonly kind = "redis-unavailable" as const;
}

export interface RedisConnection {
  readonly client: Redis | Cluster;
  /** Runs a Lua script by SHA (sending its text once when Redis does not know it), bounded in time. */
  run(script: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown>;
  /** The same, with bytes in and out: bulk replies come back as Buffers (a cached body is binary). */
  runBinary(script: string, keys: readonly string[], args: ReadonlyArray<string | number | Buffer>): Promise<unknown>;
  /** Any other command, bounded in time. */
  command<T>(send: (client: Redis) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 250;
const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;

export function redisConnection(options: RedisConnectionOptions): RedisConnection {
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const owned = options.client === undefined;
  if (!owned && (options.url !== undefined || options.cluster !== undefined)) throw new TypeError("a Redis connection takes one of `url`, `cluster` or `client`");
  // The app's client is an ioredis one (RedisClient names it without ioredis's types).
  const client = (options.client as Redis | Cluster | undefined) ?? newClient(options, timeoutMs, connectTimeoutMs);
  const shas = new Map<string, string>();

  function bounded<T>(work: Promise<T>, limitMs = timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(`Redis did not answer within ${limitMs} ms`)), limitMs);
      timer.unref();
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * A client that has not connected yet gets the command's time to do so. One that was
   * connected and lost its server fails at once: the stores fall back without a wait per call.
   */
  let everReady = client.status === "ready";
  let becomingReady: Promise<void> | undefined;
  client.on("ready", () => (everReady = true));
  /** A Cluster's masters, connected before its first command is sent (once; a node lost later fails its commands at once). */
  const everyNode = isCluster(client) ? connectingEveryNode(client) : undefined;
  let nodesConnected: Promise<void> | undefined;
  let nodesDone = everyNode === undefined;
  const nodesReady = (): Promise<void> =>
    (nodesConnected ??= bounded(everyNode!(), connectTimeoutMs)
      .catch(() => undefined)
      .finally(() => (nodesDone = true)));
  function ready(): Promise<void> | undefined {
    if (client.status === "ready") return nodesDone ? undefined : nodesReady();
    if (everReady) return Promise.reject(new RedisUnavailableError(`Redis connection is ${client.status}`));
    becomingReady ??= new Promise<void>((resolve) => {
      client.once("ready", () => {
        becomingReady = undefined;
        resolve();
      });
    });
    // A first connection gets the connect timeout (an app starting beside a busy Redis
    // shares from its first call); a lost one fails at once (above).
    const connected = bounded(becomingReady, connectTimeoutMs);
    return nodesDone ? connected : connected.then(nodesReady);
  }

  /**
   * A command bounded in time: a single client carewire made bounds each command itself
   * (`commandTimeout`), so only an app's own client needs a timer per command here, and a
   * Cluster (a command there may follow MOVED redirections and wait for a slot refresh).
   */
  const limited = owned && !isCluster(client) ? <T>(work: Promise<T>) => work : bounded;

  /** A script by SHA, and by its text once when Redis does not know it (it restarted, or never saw it). */
  async function evaluate<R>(script: string, send: (verb: "EVALSHA" | "EVAL", scriptOrSha: string) => Promise<R>): Promise<R> {
    await ready();
    try {
      return await limited(send("EVALSHA", shaOf(script)));
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("NOSCRIPT")) return limited(send("EVAL", script));
      throw error;
    }
  }

  function run(script: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    return evaluate(script, (verb, body) => client.call(verb, [body, keys.length, ...keys, ...args]));
  }

  function runBinary(script: string, keys: readonly string[], args: ReadonlyArray<string | number | Buffer>): Promise<unknown> {
    return evaluate(script, (verb, body) => client.callBuffer(verb, [body, keys.length, ...keys, ...args]));
  }

  function shaOf(script: string): string {
    let sha = shas.get(script);
    if (sha === undefined) shas.set(script, (sha = nodeBuiltin("node:crypto", "redisStore").createHash("sha1").update(script).digest("hex")));
    return sha;
  }

  return {
    client,
    run,
    runBinary,
    async command(send) {
      await ready();
      // A Cluster takes the same commands as one Redis (each goes to its key's node).
      return limited(send(client as Redis));
    },
    async close() {
      if (!owned) return;
      try {
        await bounded(client.quit());
      } catch {
        client.disconnect();
      }
    },
  };
}

/** Reconnect soon after a restart, never slower than once a second. */
const reconnectDelay = (times: number) => Math.min(times * 100, 1_000);

function newClient(options: RedisConnectionOptions, timeoutMs: number, connectTimeoutMs: number): Redis | Cluster {
  const { url, cluster } = options;
  const given = (url !== undefined && url !== "" ? 1 : 0) + (cluster !== undefined ? 1 : 0);
  if (given !== 1) throw new TypeError("a Redis connection takes one of `url`, `cluster` or `client`");
  // Loaded here, synchronously: `carewire` itself never imports ioredis.
  const ioredis = requireOptional("redisStore")("ioredis") as typeof import("ioredis");
  const client =
    cluster === undefined
      ? new ioredis.Redis(url!, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: timeoutMs,
          connectTimeout: connectTimeoutMs,
          retryStrategy: reconnectDelay,
          lazyConnect: false,
        } satisfies RedisOptions)
      : new ioredis.Cluster([...cluster], clusterOptions(cluster, { commandTimeoutMs: timeoutMs, connectTimeoutMs, reconnectDelay }));
  // Errors surface through the commands; an unhandled 'error' event would end the process.
  client.on("error", () => undefined);
  return client;
}
