/**
 * A Redis Cluster as carewire's stores use it: an ioredis `Cluster` made from seed nodes,
 * with settings that keep the stores' promises on a cluster as on one server: a script whose
 * node dropped its connection mid-flight is never sent again (it may have run: a quota slot
 * counted twice), every master is connected before the first command (a node still
 * connecting refuses commands, as the offline queue is off), TLS checks the seed's host name,
 * and a process told to let go of Redis can exit while the cluster is away.
 */
import type { Cluster, ClusterOptions, Redis } from "ioredis";

export function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

export interface ClusterSettings {
  /** Longest wait for one command; carewire times each command itself, so nodes get at least the connect time. */
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectDelay: (times: number) => number;
}

/** The ioredis options for a cluster carewire makes from `seeds` (checked here: redis:// or rediss:// URLs, no database). */
export function clusterOptions(seeds: readonly string[], settings: ClusterSettings): ClusterOptions {
  if (seeds.length === 0) throw new TypeError("a Redis Cluster needs at least one seed node in `cluster`");
  const urls = seeds.map(seedUrl);
  const first = urls[0]!;
  const tls = first.protocol === "rediss:";
  return {
    enableOfflineQueue: false,
    // A command whose connection closed may have run: failing it is the stores' fall back, sending it again is a double count.
    retryDelayOnFailover: 0,
    clusterRetryStrategy: settings.reconnectDelay,
    slotsRefreshTimeout: settings.connectTimeoutMs,
    // With TLS the certificate names the host: keep the seed's name instead of connecting to its resolved address.
    ...(tls ? { dnsLookup: (address: string, done: (error: Error | null, address: string) => void) => done(null, address) } : {}),
    // Node connections are the Cluster's to manage (it reconnects through slot refreshes): only bounds and credentials go to them.
    redisOptions: {
      commandTimeout: Math.max(settings.commandTimeoutMs, settings.connectTimeoutMs),
      connectTimeout: settings.connectTimeoutMs,
      maxRetriesPerRequest: 0,
      // The slot map's own short-lived connection closes at once, so it holds no process open while the cluster is away.
      disconnectTimeout: 20,
      ...(first.username !== "" ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password !== "" ? { password: decodeURIComponent(first.password) } : {}),
      ...(tls ? { tls: {} } : {}),
    },
  };
}

function seedUrl(seed: string): URL {
  let url: URL;
  try {
    url = new URL(seed);
  } catch {
    throw new TypeError("a `cluster` seed node is not a redis:// or rediss:// URL");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new TypeError("a `cluster` seed node is not a redis:// or rediss:// URL");
  // A cluster has database 0 only (it refuses SELECT).
  if (url.pathname !== "" && url.pathname !== "/" && url.pathname !== "/0") throw new TypeError("a Redis Cluster has no database to select; leave the path out of `cluster` seeds");
  return url;
}

/**
 * Connects every master the cluster knows, and every node it learns of later: ioredis
 * connects a node on its first command, and with the offline queue off that command fails.
 */
export function connectingEveryNode(cluster: Cluster): () => Promise<void> {
  // Ready, not only connected: a node still running its ready check refuses commands too.
  const connect = (node: Redis): Promise<void> => {
    if (node.status === "ready") return Promise.resolve();
    const ready = new Promise<void>((resolve) => node.once("ready", () => resolve()));
    if (node.status === "wait") node.connect().catch(() => undefined);
    return ready;
  };
  cluster.on("+node", (node: Redis) => void connect(node));
  return () => Promise.all(cluster.nodes("master").map(connect)).then(() => undefined);
}

/**
 * A key prefix every key of a part starts with. Redis Cluster hashes only what is between a
 * key's first `{` and the next `}`, and the whole key when that is empty: a prefix holding
 * `{}` would send the keys one script touches to different slots (CROSSSLOT), which would
 * look like a Redis that is out. Refused here, on one server too, so a move to a cluster
 * does not find it.
 */
export function checkKeyPrefix(prefix: string): string {
  const open = prefix.indexOf("{");
  if (open >= 0 && prefix[open + 1] === "}") throw new TypeError("a Redis key prefix must not hold an empty hash tag `{}`: Redis Cluster would hash each key whole");
  return prefix;
}
