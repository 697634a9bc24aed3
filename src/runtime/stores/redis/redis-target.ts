/**
 * Where a part kept in Redis connects, as the app names it. The app's own client is typed by
 * the few members carewire relies on, not by ioredis's declarations: those bring Node's with
 * them, and an app that imports `carewire` and keeps nothing in Redis would compile them all
 * (twice as many declaration files, twice the memory) on every build.
 */

/** An ioredis client of the app's own: a `Redis` or a `Cluster` (ioredis 5 or 6). */
export interface RedisClient {
  /** ioredis's connection state (`"ready"`, `"connecting"`, `"end"`, …). */
  readonly status: string;
  readonly isCluster: boolean;
  call(command: string, args: Array<string | number>): Promise<unknown>;
}

/** Where a part kept in Redis connects: one of a url, a Cluster's seed nodes, or the app's own client. */
export interface RedisTarget {
  /** `redis://[:password@]host:port[/db]` (or `rediss://` for TLS). */
  readonly url?: string;
  /**
   * Seed nodes of a Redis Cluster (`redis://[:password@]host:port`, or `rediss://` for TLS; the
   * first one's credentials and TLS go to every node): the others are found from them. Each part
   * kept in Redis puts the keys one script touches under one hash tag, so its scripts run on one node.
   */
  readonly cluster?: readonly string[];
  /** An ioredis client of the app's own, a single Redis or a Cluster (its options are left as they are; carewire does not close it). */
  readonly client?: RedisClient;
}
