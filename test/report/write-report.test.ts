/**
 * writeReport from events in memory: one page with every plot laid out (or its note), the
 * alert table, and text from the events escaped so no name can end a tag or a script.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ReportOutputError, writeReport } from "../../src/report/index.js";
import { callEvent, outboxEvent } from "./support.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "carewire-write-report-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const events = [
  callEvent(0, { type: "quota", scope: "clinic:</script><b>x", limit: 20, windowMs: 2_000, used: 5 }),
  callEvent(100, { type: "attempt", attempt: 1, status: 200, durationMs: 12, delayMs: 0 }),
  callEvent(2_000, { type: "breaker", group: "clinic:<img>", from: "closed", to: "open" }),
  outboxEvent(3_000, 2, 1),
];

describe("writeReport", () => {
  it("lays out every plot or its note, and the alerts with their state", async () => {
    const out = path.join(dir, "nested", "report.html");
    const summary = await writeReport(events, out, { title: "Night <shift>" });
    expect(summary.plots.map((p) => [p.id, p.note === undefined])).toEqual([
      ["quota", true],
      ["throttling", true],
      ["waits", true],
      ["breakers", true],
      ["tenants", false],
      ["outbox", true],
      ["latency", true],
      ["cache", false],
    ]);
    expect(summary.alerts.filter((a) => a.firing).map((a) => a.id)).toEqual(["breaker-open", "dead-letters"]);
    const html = await readFile(out, "utf8");
    expect(html).toContain("<title>Night &#60;shift&#62;</title>");
    expect(html).toContain('data-alert="breaker-open" data-state="firing"');
    expect(html).toContain("no tenant events");
    // Names from events never end the data's script element, nor open a tag.
    expect(html).not.toContain("</script><b>");
    expect(html).not.toContain("<img>");
    expect(html).toContain("clinic:\\u003c/script>\\u003cb>x");
  });

  it("refuses an output it cannot write with a typed error", async () => {
    await expect(writeReport(events, dir)).rejects.toBeInstanceOf(ReportOutputError);
  });
});
