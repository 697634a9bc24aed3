/** Reading an events file within bounds: malformed lines counted, caps kept, only event fields kept. */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readEvents } from "../../src/report/read-events.js";
import { ReportFileError } from "../../src/report/errors.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "carewire-read-events-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const attempt = (time: number) => JSON.stringify({ type: "attempt", attempt: 1, status: 200, durationMs: 12, delayMs: 0, provider: "clinic", operationId: "getPatient", requestId: "r", time });

async function file(name: string, text: string): Promise<string> {
  const where = path.join(dir, name);
  await writeFile(where, text);
  return where;
}

describe("readEvents", () => {
  it("counts lines that are not JSON or not an event as malformed, and reads on, sorted by time", async () => {
    const log = await readEvents(await file("mixed.jsonl", [attempt(20), "{not json", '{"type":"attempt","time":"yesterday"}', '["an array"]', '{"type":"unknown-kind","time":1}', "", attempt(10)].join("\n")));
    expect(log).toMatchObject({ lines: 6, malformed: 4, recorderTruncated: false });
    expect(log.events.map((e) => e.time)).toEqual([10, 20]);
    expect(log.cut).toBeUndefined();
  });

  it("keeps only the fields of the event's type (anything else a line holds stays out of the report)", async () => {
    const line = JSON.stringify({ type: "retry", attempt: 1, outcome: "retryable", reason: "HTTP 503", delayMs: 100, provider: "clinic", operationId: "getPatient", requestId: "r", time: 5, patientName: "Ada Lovelace", body: { ssn: "000" } });
    const log = await readEvents(await file("extra.jsonl", `${line}\n`));
    expect(log.events).toEqual([{ type: "retry", attempt: 1, outcome: "retryable", reason: "HTTP 503", delayMs: 100, provider: "clinic", operationId: "getPatient", requestId: "r", time: 5 }]);
  });

  it("stops at the size cap, leaving out the cut last line without calling it malformed", async () => {
    const lines = Array.from({ length: 100 }, (_, i) => attempt(i)).join("\n");
    const log = await readEvents(await file("big.jsonl", lines), { maxBytes: 1_000 });
    expect(log.cut).toBe("max-bytes");
    expect(log.malformed).toBe(0);
    expect(log.events.length).toBe(Math.floor(1_000 / (attempt(10).length + 1)));
  });

  it("stops at the line cap", async () => {
    const log = await readEvents(await file("long.jsonl", Array.from({ length: 50 }, (_, i) => attempt(i)).join("\n")), { maxLines: 20 });
    expect(log).toMatchObject({ lines: 20, cut: "max-lines" });
    expect(log.events).toHaveLength(20);
  });

  it("notes the recorder's own truncation line", async () => {
    const log = await readEvents(await file("truncated.jsonl", `${attempt(1)}\n{"type":"truncated","time":2,"maxBytes":100}\n`));
    expect(log).toMatchObject({ recorderTruncated: true, malformed: 0, lines: 2 });
    expect(log.events).toHaveLength(1);
  });

  it("refuses a missing file or a directory with a typed error naming it", async () => {
    await expect(readEvents(path.join(dir, "nope.jsonl"))).rejects.toThrow(`cannot read the events file ${path.join(dir, "nope.jsonl")}: no such file`);
    await expect(readEvents(dir)).rejects.toBeInstanceOf(ReportFileError);
  });
});
