/**
 * uPlot's minified script and stylesheet, read from the installed package to be inlined
 * in the page. uPlot is an optional peer: without it the report names it in one line.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { ReportPackageMissingError } from "./errors.js";
import type { UplotAssets } from "./render-html.js";

export async function loadUplotAssets(): Promise<UplotAssets> {
  let scriptPath: string;
  let cssPath: string;
  try {
    const require = createRequire(import.meta.url);
    scriptPath = require.resolve("uplot/dist/uPlot.iife.min.js");
    cssPath = require.resolve("uplot/dist/uPlot.min.css");
  } catch (error) {
    throw new ReportPackageMissingError(error);
  }
  const [script, css] = await Promise.all([readFile(scriptPath, "utf8"), readFile(cssPath, "utf8")]);
  return { script, css };
}
