/**
 * The inbox in Redis, for a fleet that already shares a Redis. Each event is a hash; sorted
 * sets index it by status (due by `notBefore`, leased by lease end, handled and dead by
 * `updatedAt`), and every change of status is one Lua script, so it is atomic. An accept is
 * as durable as the server's persistence: run it with `appendonly yes` (and `appendfsync
 * always` for an fsync per accept) when a lost event matters; SQLite or PostgreSQL otherwise.
 */
import { checkKeyPrefix } from "../runtime/stores/redis/cluster.js";
import { redisConnection } from "../runtime/stores/redis/connection.js";
import type { RedisTarget } from "../runtime/stores/redis/redis-target.js";
import { WebhookInboxError } from "./errors.js";
import { checkEntry, checkLimit, checkTime, checkWorker, errorText, storeCall, type InboxRecord, type InboxStatus, type WebhookInbox } from "./inbox.js";

/** `url`, `cluster` (a Redis Cluster's seed nodes: the inbox's keys share one hash tag, so one slot) or `client` (the app's own ioredis client, never closed here). */
export interface RedisInboxOptions extends RedisTarget {
  /** Before every key. Default `carewire:webhooks:`; the keys then share the hash tag `{inbox}` unless the prefix has a `{tag}` of its own. */
  readonly prefix?: string;
  /** Longest wait for one command, ms. Default 2,000. */
  readonly commandTimeoutMs?: number;
}

/** KEYS: event, due. ARGV: id, type, timestamp, raw, now. */
const ACCEPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'type', ARGV[2], 'timestamp', ARGV[3], 'raw', ARGV[4], 'status', 'pending', 'receivedAt', ARGV[5], 'updatedAt', ARGV[5], 'attempts', 0, 'notBefore', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
return 1`;

/** KEYS: due, leased. ARGV: event key prefix, now, lease end, limit, worker, lease seed. Leases that ran out go back to due first. */
const CLAIM = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], redis.call('HGET', ARGV[1] .. id, 'notBefore'), id)
end
local out = {}
for i, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))) do
  local key = ARGV[1] .. id
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], ARGV[3], id)
  redis.call('HINCRBY', key, 'attempts', 1)
  redis.call('HSET', key, 'lease', ARGV[5] .. '/' .. ARGV[6] .. '-' .. i, 'updatedAt', ARGV[2])
  out[#out + 1] = redis.call('HGETALL', key)
end
return out`;

/** KEYS: due, leased. ARGV: event key prefix, worker, now. */
const RELEASE = `
local n = 0
local owner = ARGV[2] .. '/'
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local key = ARGV[1] .. id
  local lease = redis.call('HGET', key, 'lease')
  if lease and string.sub(lease, 1, #owner) == owner then
    local due = math.min(tonumber(redis.call('HGET', key, 'notBefore')), tonumber(ARGV[3]))
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZADD', KEYS[1], due, id)
    redis.call('HDEL', key, 'lease')
    redis.call('HSET', key, 'notBefore', due, 'updatedAt', ARGV[3])
    n = n + 1
  end
end
return n`;

/**
 * KEYS: event, due, leased. ARGV: id, lease, lease end. A lease that ran out but was taken by
 * nobody is still this worker's: a claim may have moved the event back to due, so it is moved
 * back to leased.
 */
const EXTEND = `
if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1`;

/** KEYS: event, due, leased. ARGV: id, lease, now. A claim handed back unstarted: due now, its lease gone, its attempt uncounted. */
const GIVE_BACK = `
if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 0 end
local due = math.min(tonumber(redis.call('HGET', KEYS[1], 'notBefore')), tonumber(ARGV[3]))
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[2], due, ARGV[1])
redis.call('HDEL', KEYS[1], 'lease')
redis.call('HSET', KEYS[1], 'notBefore', due, 'updatedAt', ARGV[3])
if tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'attempts', -1) end
return 1`;

/** KEYS: event, due, leased, handled, dead. ARGV: id, lease, now, status, notBefore, error. */
const SETTLE = `
if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], 'lease')
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[3])
if ARGV[4] == 'handled' then
  redis.call('HSET', KEYS[1], 'status', 'handled', 'raw', '')
  redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
elseif ARGV[4] == 'retry' then
  redis.call('HSET', KEYS[1], 'notBefore', ARGV[5], 'lastError', ARGV[6])
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
else
  redis.call('HSET', KEYS[1], 'status', 'dead', 'lastError', ARGV[6])
  redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
end
return 1`;

/** KEYS: dead, due. ARGV: event key prefix, now, ids… */
const REVIVE = `
local n = 0
for i = 3, #ARGV do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('HSET', ARGV[1] .. ARGV[i], 'status', 'pending', 'attempts', 0, 'notBefore', ARGV[2], 'updatedAt', ARGV[2])
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[i])
    n = n + 1
  end
end
return n`;

/** KEYS: the index. ARGV: event key prefix, limit, purge before (or '' to list). Lists (HGETALL each) or purges up to `limit`. */
const SCAN = `
local ids = ARGV[3] == '' and redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1) or redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  if ARGV[3] == '' then out[#out + 1] = redis.call('HGETALL', ARGV[1] .. id)
  else
    redis.call('DEL', ARGV[1] .. id)
    redis.call('ZREM', KEYS[1], id)
  end
end
if ARGV[3] == '' then return out end
return #ids`;

const PURGE_BATCH = 1_000;

export function redisInbox(options: RedisInboxOptions): WebhookInbox {
  const prefix = checkKeyPrefix(options.prefix ?? "carewire:webhooks:");
  const redis = redisConnection({ ...options, commandTimeoutMs: options.commandTimeoutMs ?? 2_000 });
  // Every key of one inbox under one hash tag, so on a Redis Cluster each script (which reaches
  // event keys by their prefix) stays on one slot. A prefix with a {tag} of its own keeps that one.
  const keys = `${prefix}{inbox}:`;
  const eventKeys = `${keys}e:`;
  const index = { due: `${keys}due`, leased: `${keys}leased`, handled: `${keys}handled`, dead: `${keys}dead` };
  let closed = false;
  const call = <T>(action: string, work: () => Promise<T>): Promise<T> =>
    storeCall("redis", action, () => {
      if (closed) throw new WebhookInboxError("the webhook inbox is closed");
      return work();
    });
  const listOf = async (key: string, limit: number) => ((await redis.run(SCAN, [key], [eventKeys, limit, ""])) as string[][]).map(recordOfHash);

  return {
    backend: "redis",
    accept: (entry, now) =>
      call("record an event", async () => {
        checkEntry(entry);
        const args = [entry.id, entry.type ?? "", entry.timestamp ?? "", entry.raw, checkTime(now, "now")];
        return (await redis.run(ACCEPT, [eventKeys + entry.id, index.due], args)) === 1;
      }),
    claim: (worker, limit, leaseMs, now) =>
      call("claim events", async () => {
        const args = [eventKeys, checkTime(now, "now"), now + leaseMs, checkLimit(limit), checkWorker(worker), globalThis.crypto.randomUUID()];
        const hashes = (await redis.run(CLAIM, [index.due, index.leased], args)) as string[][];
        return hashes.map((hash) => {
          const lease = hash[hash.indexOf("lease") + 1]!;
          return { record: recordOfHash(hash), lease };
        });
      }),
    extend: (claim, leaseMs, now) =>
      call("keep a lease", async () => (await redis.run(EXTEND, [eventKeys + claim.record.id, index.due, index.leased], [claim.record.id, claim.lease, checkTime(now, "now") + leaseMs])) === 1),
    giveBack: (claim, now) =>
      call("give a lease back", async () => (await redis.run(GIVE_BACK, [eventKeys + claim.record.id, index.due, index.leased], [claim.record.id, claim.lease, checkTime(now, "now")])) === 1),
    release: (worker, now) => call("release leases", async () => Number(await redis.run(RELEASE, [index.due, index.leased], [eventKeys, checkWorker(worker), checkTime(now, "now")]))),
    settle: (claim, settlement, now) =>
      call("settle an event", async () => {
        const id = claim.record.id;
        const notBefore = settlement.status === "retry" ? checkTime(settlement.notBefore, "notBefore") : "";
        const error = settlement.status === "handled" ? "" : errorText(settlement.error);
        const keys = [eventKeys + id, index.due, index.leased, index.handled, index.dead];
        return (await redis.run(SETTLE, keys, [id, claim.lease, checkTime(now, "now"), settlement.status, notBefore, error])) === 1;
      }),
    revive: (ids, now) => call("revive events", async () => (ids.length === 0 ? 0 : Number(await redis.run(REVIVE, [index.dead, index.due], [eventKeys, checkTime(now, "now"), ...ids])))),
    list: ({ status, limit }) =>
      call("list events", async () => {
        const n = checkLimit(limit);
        if (status !== "pending") return listOf(index[status satisfies Exclude<InboxStatus, "pending">], n);
        const both = [...(await listOf(index.due, n)), ...(await listOf(index.leased, n))];
        return both.sort((a, b) => a.updatedAt - b.updatedAt).slice(0, n);
      }),
    counts: () =>
      call("count events", async () => {
        const [due, leased, handled, dead] = await redis.command((c) => Promise.all([c.zcard(index.due), c.zcard(index.leased), c.zcard(index.handled), c.zcard(index.dead)]));
        return { pending: due + leased, handled, dead };
      }),
    purge: (before) =>
      call("purge events", async () => {
        let total = 0;
        for (;;) {
          const n = Number(await redis.run(SCAN, [index.handled], [eventKeys, PURGE_BATCH, checkTime(before, "before")]));
          total += n;
          if (n < PURGE_BATCH) return total;
        }
      }),
    async close() {
      if (closed) return;
      closed = true;
      await redis.close();
    },
  };
}

function recordOfHash(hash: readonly string[]): InboxRecord {
  const field = new Map<string, string>();
  for (let i = 0; i + 1 < hash.length; i += 2) field.set(hash[i]!, hash[i + 1]!);
  const text = (name: string) => field.get(name) ?? "";
  return {
    id: text("id"),
    ...(text("type") !== "" ? { type: text("type") } : {}),
    ...(text("timestamp") !== "" ? { timestamp: Number(text("timestamp")) } : {}),
    raw: text("raw"),
    status: text("status") as InboxStatus,
    receivedAt: Number(text("receivedAt")),
    updatedAt: Number(text("updatedAt")),
    attempts: Number(text("attempts")),
    notBefore: Number(text("notBefore")),
    ...(text("lastError") !== "" ? { lastError: text("lastError") } : {}),
  };
}
