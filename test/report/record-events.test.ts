/**
 * recordEvents: events as redacted JSON lines, written in the background, bounded by size,
 * and a failing disk counted instead of thrown into a call.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { recordEvents, type TelemetryEvent } from "carewire";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "carewire-record-events-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const attempt = (time: number): TelemetryEvent => ({ type: "attempt", attempt: 1, status: 200, durationMs: 3, delayMs: 0, provider: "clinic", operationId: "getPatient", requestId: `r-${time}`, time });
const lines = async (file: string) => (await readFile(file, "utf8")).split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);

describe("recordEvents", () => {
  it("writes each event as one JSON line once flushed, and nothing before (a call only appends to memory)", async () => {
    const file = path.join(dir, "events.jsonl");
    const record = recordEvents(file, { flushMs: 60_000 });
    record(attempt(1));
    record(attempt(2));
    expect(record.stats().written).toBe(0);
    await record.flush();
    expect((await lines(file)).map((l) => l.time)).toEqual([1, 2]);
    record(attempt(3));
    await record.close();
    expect((await lines(file)).map((l) => l.requestId)).toEqual(["r-1", "r-2", "r-3"]);
    expect(record.stats()).toMatchObject({ written: 3, dropped: 0, errors: 0, truncated: false });
  });

  it("starts the file afresh unless asked to append", async () => {
    const file = path.join(dir, "again.jsonl");
    await writeFile(file, "old line\n");
    const fresh = recordEvents(file);
    fresh(attempt(1));
    await fresh.close();
    const appended = recordEvents(file, { append: true });
    appended(attempt(2));
    await appended.close();
    expect((await lines(file)).map((l) => l.time)).toEqual([1, 2]);
  });

  it("counts what an appended file holds already against maxBytes", async () => {
    const file = path.join(dir, "full.jsonl");
    await writeFile(file, `${"x".repeat(1_900)}\n`);
    const appended = recordEvents(file, { append: true, maxBytes: 2_000 });
    appended(attempt(1));
    await appended.close();
    expect(appended.stats()).toMatchObject({ written: 0, truncated: true });
  });

  it("redacts secret-looking fields", async () => {
    const file = path.join(dir, "redacted.jsonl");
    const record = recordEvents(file);
    record({ ...attempt(1), ...({ authorization: "Bearer abc", nested: { apiKey: "k" } } as object) } as TelemetryEvent);
    await record.close();
    const [line] = await lines(file);
    expect(line).toMatchObject({ authorization: "[redacted]", nested: { apiKey: "[redacted]" } });
    expect(JSON.stringify(line)).not.toContain("abc");
  });

  it("stops at maxBytes with one truncated line, and counts what it left out", async () => {
    const file = path.join(dir, "bounded.jsonl");
    const record = recordEvents(file, { maxBytes: 2_000 });
    for (let i = 0; i < 100; i++) record(attempt(i));
    await record.flush();
    record(attempt(1_000));
    await record.close();
    const written = await lines(file);
    const text = await readFile(file, "utf8");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2_000);
    expect(written[written.length - 1]).toMatchObject({ type: "truncated", maxBytes: 2_000 });
    expect(written.filter((l) => l.type === "truncated")).toHaveLength(1);
    const stats = record.stats();
    expect(stats.truncated).toBe(true);
    expect(stats.written + stats.dropped).toBe(101);
    expect(stats.written).toBe(written.length - 1);
  });

  it("counts a write that fails and never throws into the caller", async () => {
    // A directory where the file should be: every write fails.
    const record = recordEvents(dir);
    expect(() => record(attempt(1))).not.toThrow();
    await expect(record.flush()).resolves.toBeUndefined();
    await record.close();
    expect(record.stats()).toMatchObject({ errors: 1, written: 0, dropped: 1 });
    expect(record.stats().lastError).toMatch(/EISDIR|directory/i);
  });

  it("drops (and counts) events beyond maxBuffered while the disk is behind, and after close", async () => {
    const file = path.join(dir, "buffered.jsonl");
    const record = recordEvents(file, { maxBuffered: 2, flushMs: 60_000 });
    for (let i = 0; i < 5; i++) record(attempt(i));
    await record.close();
    record(attempt(9));
    expect(record.stats()).toMatchObject({ written: 2, dropped: 4 });
  });
});
