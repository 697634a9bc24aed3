/**
 * Poll checkpoints in Redis, one hash field per target: a fleet shares them with the state
 * it already keeps there (quota, breaker, token). As durable as the server's persistence
 * (AOF with `appendfsync always` for "saved means kept"). ioredis is the optional peer,
 * loaded through carewire's Redis connection, which bounds every command in time.
 */
import type { Redis } from "ioredis";
import { checkKeyPrefix } from "../runtime/stores/redis/cluster.js";
import { redisConnection } from "../runtime/stores/redis/connection.js";
import type { RedisTarget } from "../runtime/stores/redis/redis-target.js";
import { readCheckpoint, writeCheckpoint, type PollCheckpointStore } from "./checkpoint-store.js";
import { PollCheckpointError } from "./errors.js";

/** `url`, `cluster` (a Redis Cluster's seed nodes) or `client` (an ioredis client of the app's own, which carewire does not close). */
export interface RedisPollCheckpointOptions extends RedisTarget {
  /** Put before the one key the store uses. Default `carewire:`. */
  readonly prefix?: string;
  /** Longest wait for one command, ms. Default 2 000. */
  readonly commandTimeoutMs?: number;
}

export function redisPollCheckpointStore(options: RedisPollCheckpointOptions): PollCheckpointStore {
  let connection: ReturnType<typeof redisConnection>;
  let hash: string;
  try {
    hash = `${checkKeyPrefix(options.prefix ?? "carewire:")}poll-checkpoints`;
    connection = redisConnection({ ...options, commandTimeoutMs: options.commandTimeoutMs ?? 2_000 });
  } catch (error) {
    throw new PollCheckpointError(`cannot keep poll checkpoints in Redis: ${(error as Error).message}`, { cause: error });
  }
  async function command<T>(what: string, send: (client: Redis) => Promise<T>): Promise<T> {
    try {
      return await connection.command(send);
    } catch (error) {
      throw new PollCheckpointError(`cannot ${what} a poll checkpoint in Redis: ${(error as Error).message}`, { cause: error });
    }
  }
  return {
    async load(key) {
      const text = await command("read", (c) => c.hget(hash, key));
      return text === null ? undefined : readCheckpoint(key, text);
    },
    async save(key, checkpoint) {
      const text = writeCheckpoint(checkpoint);
      await command("write", (c) => c.hset(hash, key, text));
    },
    async clear(key) {
      await command("clear", (c) => c.hdel(hash, key));
    },
    close: () => connection.close(),
  };
}
