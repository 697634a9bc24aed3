/**
 * `redisStore()`: the shared state of a fleet in one Redis. Every instance of the app
 * on one client_id that is made with it paces against one window, holds on one 429 pause
 * and learns from the server's counts together; holds one OAuth token and asks for the
 * next one once; and opens a failing endpoint group's circuit together, with one probe.
 * When Redis is down or slow, each instance paces alone on its share of the quota
 * (`localShare`, by default 1 ÷ `expectedInstances`), keeps its own token and judges its
 * own circuits, and shares again once Redis answers.
 *
 * The token is kept in Redis for as long as it lives: use a Redis only the app can reach
 * (AUTH, TLS with `rediss://`).
 */
import type { Cluster, Redis } from "ioredis";
import { FailoverBreakerStore } from "../failover-breaker-store.js";
import type { SharedState } from "../fallback.js";
import { FailoverQuotaStore } from "../failover-quota-store.js";
import { FailoverTokenStore } from "../failover-token-store.js";
import { LeasingQuotaStore, type LeaseOptions } from "../leasing-quota-store.js";
import type { SharedStore } from "../shared-store.js";
import { checkKeyPrefix, isCluster } from "./cluster.js";
import { redisConnection } from "./connection.js";
import type { RedisTarget } from "./redis-target.js";
import { RedisBreakerStore } from "./redis-breaker-store.js";
import type { RedisCacheOptions } from "./redis-cache-options.js";
import { RedisCacheStore } from "./redis-cache-store.js";
import { RedisQuotaStore } from "./redis-quota-store.js";
import { RedisTokenStore } from "./redis-token-store.js";

/** Where the fleet's state lives: `url`, `cluster` or `client` (see RedisTarget), and how it is shared. */
export interface RedisStoreOptions extends RedisTarget {
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
  /**
   * Share cached responses through this Redis too. Off by default: cached responses are
   * PHI, and copying them into a shared Redis is a decision the application must make
   * (who can read that Redis, encryption at rest, retention). Entries live no longer than
   * they can be served (max-age + stale-if-error) and are bounded in size.
   */
  readonly cache?: boolean | RedisCacheOptions;
  /**
   * Told when a part of the shared state goes local (Redis out or slow: this instance
   * answers from its own memory) and when it is shared again, for an operator's log or
   * metric. Each part says so once per change. (Every call also emits a `quota-store`
   * telemetry event when its pacing goes local or shared.)
   */
  readonly onStateChange?: (part: SharedPart, state: SharedState) => void;
}

/** The parts of a client's state a Redis store shares. */
export type SharedPart = "quota" | "tokens" | "breakers" | "cache";

export function redisStore(options: RedisStoreOptions): SharedStore {
  // Options are checked before connecting: a refused store leaves no connection behind.
  const localShare = options.localShare ?? 1 / Math.max(1, options.expectedInstances ?? 4);
  if (!(localShare > 0 && localShare <= 1)) throw new RangeError("redisStore: localShare must be in (0, 1]");
  const prefix = checkKeyPrefix(options.prefix ?? "carewire:");
  const connection = redisConnection(options);
  if (options.unref) keepsNoProcessAlive(connection.client);
  const retry = options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {};
  const listen = options.onStateChange;
  const about = (part: SharedPart) => (listen ? { onStateChange: (state: SharedState) => listen(part, state) } : {});
  const quota = new LeasingQuotaStore(new FailoverQuotaStore(new RedisQuotaStore(connection, prefix), { localShare, ...retry, ...about("quota") }), options.lease);
  const tokens = new FailoverTokenStore(new RedisTokenStore(connection, prefix), { ...retry, ...about("tokens") });
  const breakers = new FailoverBreakerStore(new RedisBreakerStore(connection, prefix), { ...retry, ...about("breakers") });
  const cache = options.cache ? new RedisCacheStore(connection, prefix, { ...retry, ...about("cache"), ...(options.cache === true ? {} : options.cache) }) : undefined;
  // Untaken leased sends go back before the connection closes.
  return { quota, tokens, breakers, ...(cache ? { cache } : {}), close: () => quota.close() };
}

/**
 * Neither the socket nor a pending reconnect keeps the process alive: a script that is
 * done exits even while Redis is away. (ioredis has no option for it; its reconnect timer
 * is reached where it keeps it.)
 */
function keepsNoProcessAlive(client: Redis | Cluster): void {
  // A Cluster and a single client alike keep their reconnect timer where this reaches it.
  client.on("reconnecting", () => {
    setImmediate(() => (client as unknown as { reconnectTimeout?: { unref?: () => void } | null }).reconnectTimeout?.unref?.());
  });
  if (isCluster(client)) {
    // Each node's socket, found now or later.
    for (const node of client.nodes()) keepsNoProcessAlive(node);
    client.on("+node", (node: Redis) => keepsNoProcessAlive(node));
    return;
  }
  const unrefSocket = () => client.stream?.unref();
  unrefSocket();
  client.on("connect", unrefSocket);
}
