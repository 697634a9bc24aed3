/**
 * Group commit as both durable stores use it: writes of one turn share a transaction, writes
 * with other group keys are written apart, a failed shared write is retried write by write so
 * only the bad one fails, and drain waits for everything submitted.
 */
import { describe, expect, it } from "@jest/globals";
import { groupCommit } from "../../src/outbox/group-commit.js";

describe("group commit", () => {
  it("shares one write per turn and group; a failed shared write fails only its bad item", async () => {
    const writes: number[][] = [];
    const commit = groupCommit<number, string>(
      (items) => {
        writes.push([...items]);
        if (items.includes(13)) throw new Error("13 is refused");
        return items.map((n) => `ok ${n}`);
      },
      (n) => n % 2,
    );
    const results = await Promise.allSettled([1, 2, 3, 13, 4].map((n) => commit.submit(n)));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : "refused"))).toEqual(["ok 1", "ok 2", "ok 3", "refused", "ok 4"]);
    // Odd and even apart; the odd group failed as a whole, then went item by item.
    expect(writes).toHaveLength(5);
    expect(writes).toEqual(expect.arrayContaining([[1, 3, 13], [2, 4], [1], [3], [13]]));
  });

  it("drain writes what is waiting at once and waits for it", async () => {
    const written: number[] = [];
    const commit = groupCommit<number, number>(async (items) => {
      written.push(...items);
      return [...items];
    });
    const pending = commit.submit(7);
    await commit.drain();
    expect(written).toEqual([7]);
    expect(await pending).toBe(7);
  });
});
