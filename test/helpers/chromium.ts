/**
 * Debian's Chromium driven by playwright-core, for tests that must see a page as a browser
 * does: installed with apt where missing, launched headless with nothing that reaches the
 * network on its own, on a fresh profile that is removed after.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { withDebianPackage } from "./debian-package.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Runs `work` with a fresh headless Chromium context; closes it and removes its profile whatever happens. */
export async function withChromium<T>(work: (context: BrowserContext) => Promise<T>, viewport = { width: 1280, height: 900 }): Promise<T> {
  const executablePath = withDebianPackage("chromium", () => (existsSync(CHROMIUM) ? CHROMIUM : undefined), "Chromium");
  const profile = await mkdtemp(path.join(os.tmpdir(), "carewire-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: FLAGS, viewport });
  try {
    return await work(context);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** True in the report's page once every chart it lays out has been drawn (a page expression: this code has no DOM types). */
export const ALL_CHARTS_DRAWN = `document.querySelectorAll(".chart").length === document.querySelectorAll('.chart[data-rendered="true"]').length`;
