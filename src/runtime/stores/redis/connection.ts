/**
 * carewire's hold on a Redis connection: ioredis, loaded only when a Redis store is made
 * (an app without one never pays for it), and every command bounded in time, so a slow or
 * stopped Redis turns into an error the stores fall back from, never a hung call.
 *
 * ioredis over node-redis: it runs Lua by SHA with a fall back to the script text,
 * reconnects by itself, can refuse commands while disconnected instead of queueing them
 * (`enableOfflineQueue: false`: a stale acquire replayed after a reconnect would record a
 * send that never happened), and speaks Sentinel and Cluster with the same API.
 */
import { nodeBuiltin, requireOptional } from "../../portable/node-builtin.js";
import type { Redis, RedisOptions } from "ioredis";

export interface RedisConnectionOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://` for TLS). */
  readonly url?: string;
  /** An ioredis client of the app's own (its options are left as they are; carewire does not close it). */
  readonly client?: Redis;
  /** Longest wait for one command, ms. Default 250. */
  readonly commandTimeoutMs?: number;
}

export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

export interface RedisConnection {
  readonly client: Redis;
  /** Runs a Lua script by SHA (sending its text once when Redis does not know it), bounded in time. */
  run(script: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown>;
  /** The same, with bytes in and out: bulk replies come back as Buffers (a cached body is binary). */
  runBinary(script: string, keys: readonly string[], args: ReadonlyArray<string | number | Buffer>): Promise<unknown>;
  /** Any other command, bounded in time. */
  command<T>(send: (client: Redis) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 250;
const CONNECT_TIMEOUT_MS = 2_000;

export function redisConnection(options: RedisConnectionOptions): RedisConnection {
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const owned = options.client === undefined;
  const client = options.client ?? newClient(options.url, timeoutMs);
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
  function ready(): Promise<void> | undefined {
    if (client.status === "ready") return undefined;
    if (everReady) return Promise.reject(new RedisUnavailableError(`Redis connection is ${client.status}`));
    becomingReady ??= new Promise<void>((resolve) => {
      client.once("ready", () => {
        becomingReady = undefined;
        resolve();
      });
    });
    // A first connection gets the connect timeout (an app starting beside a busy Redis
    // shares from its first call); a lost one fails at once (above).
    return bounded(becomingReady, CONNECT_TIMEOUT_MS);
  }

  /**
   * A command bounded in time: the client carewire made bounds each command itself
   * (`commandTimeout`), so only an app's own client needs a timer per command here.
   */
  const limited = owned ? <T>(work: Promise<T>) => work : bounded;

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
      return limited(send(client));
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

function newClient(url: string | undefined, timeoutMs: number): Redis {
  if (url === undefined || url === "") throw new TypeError("redisStore needs a `url` or a `client`");
  // Loaded here, synchronously: `carewire` itself never imports ioredis.
  const { Redis: RedisClient } = requireOptional("redisStore")("ioredis") as typeof import("ioredis");
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Reconnect soon after a restart, never slower than once a second.
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    lazyConnect: false,
  };
  const client = new RedisClient(url, options);
  // Errors surface through the commands; an unhandled 'error' event would end the process.
  client.on("error", () => undefined);
  return client;
}
