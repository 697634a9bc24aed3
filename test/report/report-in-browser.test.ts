/**
 * What an operator sees: the demo (reduced, as its own test runs it) records its clients'
 * events and writes the report; the page opened in real headless Chromium draws every plot
 * with data, raises no console error, and shows the alert table.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ALL_CHARTS_DRAWN, withChromium } from "../helpers/chromium.js";
import { CHILD_LIMIT_MS, ROOT, childTestTimeout, runNode, tsxArgs } from "../helpers/cli.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "carewire-report-browser-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ChartSeen {
  readonly plot: string;
  readonly points: number;
  readonly series: number;
  readonly rendered: string | null;
  readonly canvasWidth: number;
  readonly canvasHeight: number;
}

/** Read in the page (a page expression: this code has no DOM types). */
const CHARTS = `[...document.querySelectorAll(".chart")].map((el) => {
  const canvas = el.querySelector("canvas");
  return { plot: el.dataset.plot, points: Number(el.dataset.points), series: Number(el.dataset.series), rendered: el.getAttribute("data-rendered"), canvasWidth: canvas ? canvas.width : 0, canvasHeight: canvas ? canvas.height : 0 };
})`;
const NOTES = `[...document.querySelectorAll(".plot.empty")].map((el) => el.dataset.plot + ": " + el.querySelector(".note").textContent)`;
const ALERT_ROWS = `[...document.querySelectorAll("table.alerts tr.alert")].map((tr) => tr.dataset.alert + " " + tr.dataset.state)`;

describe("the demo's operator report in Chromium", () => {
  it(
    "draws every plot with data, with no console error, and lists every alert",
    async () => {
      const demo = await runNode(tsxArgs(path.join(ROOT, "scripts/demo.ts")), { env: { DEMO_PATIENTS: "40", DEMO_APPOINTMENTS: "20", DEMO_FLEET_SECONDS: "2", DEMO_OUTPUT_DIR: dir } });
      expect({ code: demo.code, stderr: demo.code === 0 ? "" : demo.stderr }).toEqual({ code: 0, stderr: "" });
      const report = path.join(dir, "report.html");
      expect(demo.stdout).toContain(`operator report (`);
      expect(demo.stdout).toContain(`  ${report}\n`);
      expect(existsSync(report)).toBe(true);

      const seen = await withChromium(async (context) => {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on("console", (message) => {
          if (message.type() === "error") errors.push(message.text());
        });
        page.on("pageerror", (error) => errors.push(error.message));
        await page.goto(pathToFileURL(report).href);
        await page.waitForFunction(ALL_CHARTS_DRAWN, undefined, { timeout: 60_000 });
        return { errors, charts: (await page.evaluate(CHARTS)) as ChartSeen[], notes: (await page.evaluate(NOTES)) as string[], alerts: (await page.evaluate(ALERT_ROWS)) as string[] };
      });

      expect(seen.errors).toEqual([]);
      // The demo's clients are paced under known quotas, with two tenants, retries, an outbox
      // round and a short outage (a breaker opens, the cache answers stale): every plot has data.
      expect(seen.charts.map((c) => c.plot)).toEqual(["quota", "throttling", "waits", "breakers", "tenants", "outbox", "latency", "cache"]);
      expect(seen.notes).toEqual([]);
      for (const chart of seen.charts) {
        expect({ plot: chart.plot, rendered: chart.rendered }).toEqual({ plot: chart.plot, rendered: "true" });
        expect(chart.points).toBeGreaterThan(0);
        expect(chart.series).toBeGreaterThan(0);
        expect(chart.canvasWidth).toBeGreaterThan(0);
        expect(chart.canvasHeight).toBeGreaterThan(0);
      }
      expect(seen.alerts.map((a) => a.split(" ")[0])).toEqual(["quota-exhaustion", "sustained-429", "retry-queue-growth", "tenant-starvation", "cache-staleness", "breaker-open", "dead-letters"]);
      // The outbox round's refused booking is a dead letter, the outage opened a breaker and was
      // served stale: the table says each of those alerts fired.
      for (const id of ["dead-letters", "breaker-open", "cache-staleness"]) expect(seen.alerts).toContainEqual(expect.stringMatching(new RegExp(`^${id} (firing|fired)$`)));
    },
    childTestTimeout(1) + CHILD_LIMIT_MS,
  );
});
