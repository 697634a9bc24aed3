/**
 * The counter carewire keeps itself and reports when the reader collects: the SDK's reader
 * sees cumulative sums per attribute set, an attribute set is built once per key, and a
 * runaway label ends in one overflow set instead of growing without bound.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { MAX_TALLIED_SETS, TalliedCounter } from "../../src/runtime/observe/tallied-counter.js";
import { recordInMemory, total, type Recorded } from "./support.js";

let recorded: Recorded | undefined;
afterEach(async () => {
  await recorded?.shutdown();
  recorded = undefined;
});

function counter(): TalliedCounter {
  recorded = recordInMemory();
  return new TalliedCounter(recorded.meterProvider.getMeter("test"), "test.calls", { unit: "{call}" });
}

describe("TalliedCounter", () => {
  it("reports each set's cumulative count to the reader, collection after collection", async () => {
    const calls = counter();
    calls.add("a", { op: "a" });
    calls.add("a", { op: "a" }, 2);
    calls.add("b", { op: "b" });
    expect(total(await recorded!.points("test.calls"), { op: "a" })).toBe(3);
    expect(total(await recorded!.points("test.calls"), { op: "b" })).toBe(1);
    calls.add("b", { op: "b" });
    const points = await recorded!.points("test.calls");
    expect(total(points, { op: "a" })).toBe(3);
    expect(total(points, { op: "b" })).toBe(2);
  });

  it("builds an attribute set only the first time its key is counted", async () => {
    const calls = counter();
    let built = 0;
    const build = () => (built++, { op: "lazy" });
    for (let i = 0; i < 5; i++) calls.add("lazy", build);
    expect(built).toBe(1);
    expect(total(await recorded!.points("test.calls"), { op: "lazy" })).toBe(5);
  });

  it("counts sets past its limit in one overflow set, losing no count", async () => {
    const calls = counter();
    for (let i = 0; i < MAX_TALLIED_SETS + 10; i++) calls.add(`k${i}`, { id: `k${i}` });
    calls.add("k0", { id: "k0" });
    const points = await recorded!.points("test.calls");
    expect(points).toHaveLength(MAX_TALLIED_SETS + 1);
    expect(points.find((p) => p.attributes["otel.metric.overflow"] === true)?.value).toBe(10);
    expect(total(points)).toBe(MAX_TALLIED_SETS + 11);
  });
});
