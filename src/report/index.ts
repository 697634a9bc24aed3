/**
 * The operator report: events recorded by `recordEvents` (or given in memory) into one
 * self-contained HTML page of plots and alerts. `carewire report` is its command line.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RecordedEvent } from "../runtime/core/telemetry.js";
import { aggregate } from "./aggregate.js";
import { DEFAULT_THRESHOLDS, evaluateAlerts, type AlertResult, type Thresholds } from "./alerts.js";
import { ReportOutputError } from "./errors.js";
import { plotsOf, type PlotSpec } from "./plots.js";
import { readEvents, type EventLog, type ReadLimits } from "./read-events.js";
import { renderHtml } from "./render-html.js";
import { loadUplotAssets } from "./uplot-assets.js";

export { aggregate, percentile, type Aggregate } from "./aggregate.js";
export { DEFAULT_THRESHOLDS, evaluateAlerts, thresholdsWith, type AlertResult, type Firing, type PlotId, type Thresholds } from "./alerts.js";
export { ReportError, ReportFileError, ReportOutputError, ReportPackageMissingError, ReportThresholdError } from "./errors.js";
export { DEFAULT_READ_LIMITS, eventOf, readEvents, type EventLog, type ReadLimits } from "./read-events.js";
export type { PlotSpec } from "./plots.js";

export interface ReportOptions {
  readonly title?: string;
  readonly thresholds?: Thresholds;
  /** Bounds on reading an events file. */
  readonly limits?: ReadLimits;
}

export interface ReportSummary {
  readonly out: string;
  readonly events: number;
  readonly malformed: number;
  readonly cut?: EventLog["cut"];
  readonly alerts: readonly AlertResult[];
  readonly plots: ReadonlyArray<Pick<PlotSpec, "id" | "points" | "note">>;
}

/** Reads the events (a file, or events in memory), and writes the page to `out`. */
export async function writeReport(input: string | readonly RecordedEvent[], out: string, options: ReportOptions = {}): Promise<ReportSummary> {
  // Checked first: without uPlot there is no page to make, so nothing is read for it.
  const assets = await loadUplotAssets();
  const log: EventLog = typeof input === "string" ? await readEvents(input, options.limits) : { events: [...input].sort((a, b) => a.time - b.time), lines: input.length, malformed: 0, recorderTruncated: false };
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const buckets = aggregate(log.events);
  const alerts = evaluateAlerts(buckets, thresholds);
  const plots = plotsOf(buckets, alerts);
  const first = log.events[0]?.time;
  const last = log.events[log.events.length - 1]?.time;
  const facts: Array<[string, string]> = [
    ["events", `${log.events.length} of ${log.lines} lines${typeof input === "string" ? ` in ${path.basename(input)}` : ""}`],
    ["malformed lines", String(log.malformed)],
    ["time span", first === undefined || last === undefined ? "no events" : `${new Date(first).toISOString()} to ${new Date(last).toISOString()} (${((last - first) / 1000).toFixed(1)} s)`],
    ["bucket", `${buckets.bucketMs / 1000} s (alerts are evaluated at the end of each)`],
  ];
  if (log.cut !== undefined) facts.push(["read bound", log.cut === "max-bytes" ? "stopped at the size cap: later events are not in this report" : "stopped at the line cap: later events are not in this report"]);
  if (log.recorderTruncated) facts.push(["recorder", "the recorder reached its size bound: events after it were not recorded"]);
  const html = renderHtml({ title: options.title ?? "carewire operator report", plots, alerts, thresholds, facts, start: buckets.start }, assets);
  try {
    await mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await writeFile(out, html);
  } catch (error) {
    throw new ReportOutputError(`cannot write the report to ${out}: ${(error as Error).message}`, { cause: error });
  }
  return { out, events: log.events.length, malformed: log.malformed, ...(log.cut ? { cut: log.cut } : {}), alerts, plots: plots.map(({ id, points, note }) => ({ id, points, ...(note !== undefined ? { note } : {}) })) };
}
