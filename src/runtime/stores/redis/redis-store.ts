/**
 * `redisStore()`: the shared state of a fleet in one Redis. Every instance of the app
 * on one client_id that is made with it paces against one window, holds on one 429 pause
 * and learns from the server's counts together. When Redis is down or slow, each instance
 * paces alone on its share of the quota (`localShare`, by default 1 ÷ `expectedInstances`)
 * and shares again once Redis answers.
 */
import type { Redis } from "ioredis";
import { FailoverQuotaStore } from "../failover-quota-store.js";
import { LeasingQuotaStore, type LeaseOptions } from "../leasing-quota-store.js";
import type { SharedStore } from "../shared-store.js";
import { redisConnection } from "./connection.js";
import { RedisQuotaStore } from "./redis-quota-store.js";

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://`). */
  readonly url?: string;
  /** The app's own ioredis client instead of a url (carewire never closes it). */
  readonly client?: Redis;
  /** Put before every key, so several apps can share one Redis. Default `carewire:`. */
  readonly prefix?: string;
  /** Longest wait for one Redis command before this instance paces alone. Default 250 ms. */
  readonly commandTimeoutMs?: number;
  /** Instances expected to share the quota; an instance takes 1 ÷ this while Redis is out. Default 4. */
  readonly expectedInstances?: number;
  /** Share of the quota an instance takes while Redis is out (overrides `expectedInstances`). */
  readonly localShare?: number;
  /** Time after a Redis failure before it is asked again. Default 1 s. */
  readonly retryAfterMs?: number;
  /**
   * Sends an instance takes from Redis per round trip, for its next calls (`size`, default
   * 4; 1 turns it off), and how long an untaken one is held before it goes back (`holdMs`,
   * default 5 % of the window, 20–250 ms). Most calls then take a slot with no round trip.
   */
  readonly lease?: LeaseOptions;
  /** Let the process exit while the connection is open (the store made from CAREWIRE_REDIS_URL does). */
  readonly unref?: boolean;
}

export function redisStore(options: RedisStoreOptions): SharedStore {
  const connection = redisConnection({
    ...(options.url !== undefined ? { url: options.url } : {}),
    ...(options.client !== undefined ? { client: options.client } : {}),
    ...(options.commandTimeoutMs !== undefined ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
  });
  if (options.unref) keepsNoProcessAlive(connection.client);
  const localShare = options.localShare ?? 1 / Math.max(1, options.expectedInstances ?? 4);
  if (!(localShare > 0 && localShare <= 1)) throw new RangeError("redisStore: localShare must be in (0, 1]");
  const failover = new FailoverQuotaStore(new RedisQuotaStore(connection, options.prefix ?? "carewire:"), {
    localShare,
    ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
  });
  const quota = new LeasingQuotaStore(failover, options.lease);
  // Untaken leased sends go back before the connection closes.
  return { quota, close: () => quota.close() };
}

/**
 * Neither the socket nor a pending reconnect keeps the process alive: a script that is
 * done exits even while Redis is away. (ioredis has no option for it; its reconnect timer
 * is reached where it keeps it.)
 */
function keepsNoProcessAlive(client: Redis): void {
  const unrefSocket = () => client.stream?.unref();
  unrefSocket();
  client.on("connect", unrefSocket);
  client.on("reconnecting", () => {
    setImmediate(() => (client as unknown as { reconnectTimeout?: { unref?: () => void } | null }).reconnectTimeout?.unref?.());
  });
}
