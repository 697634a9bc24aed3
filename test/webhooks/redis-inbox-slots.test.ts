/**
 * The Redis inbox keeps every key of one inbox under one hash tag, so on a Redis Cluster its
 * scripts (which reach event keys by their prefix) touch a single slot: Redis Cluster hashes
 * only the text inside a key's first {…}, and keys with the same tag share a slot.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { redisInbox } from "../../src/webhooks/redis-inbox.js";
import { redisForFile } from "../helpers/redis-for-file.js";

const redis = redisForFile("inbox-slots");
const T0 = 1_800_000_000_000;

/** What Redis Cluster hashes of a key: its first non-empty {…}, else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf("{");
  const close = open < 0 ? -1 : key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe("redis inbox keys", () => {
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const c of clients) c.disconnect();
  });

  it.each([
    ["the default tag", undefined],
    ["a prefix with a tag of its own", "tenant-{north}:"],
  ])("all land on one slot, whatever happens to the events (%s)", async (_label, own) => {
    const prefix = own ?? redis.prefix();
    const inbox = redisInbox({ url: redis.url, prefix });
    try {
      for (const id of ["evt-a", "evt-b", "evt-c"]) await inbox.accept({ id, raw: "{}" }, T0);
      const claims = await inbox.claim("w1", 3, 30_000, T0);
      await inbox.settle(claims[0]!, { status: "handled" }, T0 + 1);
      await inbox.settle(claims[1]!, { status: "dead", error: "boom" }, T0 + 1);
      await inbox.giveBack!(claims[2]!, T0 + 2);
    } finally {
      await inbox.close();
    }
    const raw = new Redis(redis.url);
    clients.push(raw);
    const keys = await raw.keys(`${prefix.replace(/[{}*?[\]]/g, "\\$&")}*`);
    expect(keys.length).toBeGreaterThanOrEqual(5);
    expect(new Set(keys.map(hashedPart))).toEqual(new Set([own === undefined ? "inbox" : "north"]));
  });
});
