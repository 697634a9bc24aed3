/**
 * The README's picture of the operator report: the demo's report (run `npm run demo` first,
 * or pass a report's path) in headless Chromium, saved as docs/operator-report.png.
 *
 *   npx tsx --conditions=carewire-source scripts/report-screenshot.ts [demo-output/report.html]
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ALL_CHARTS_DRAWN, withChromium } from "../test/helpers/chromium.js";

const report = path.resolve(process.argv[2] ?? "demo-output/report.html");
const out = path.resolve("docs/operator-report.png");
await withChromium(async (context) => {
  const page = await context.newPage();
  await page.goto(pathToFileURL(report).href);
  await page.waitForFunction(ALL_CHARTS_DRAWN);
  await page.screenshot({ path: out, fullPage: true, type: "png" });
}, { width: 1200, height: 900 });
process.stdout.write(`${out}\n`);
