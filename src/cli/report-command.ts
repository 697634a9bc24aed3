/**
 * `carewire report <events.jsonl>`: the events `recordEvents` wrote, as one HTML page of
 * plots and alerts an operator can open anywhere (no network).
 *
 * Exit codes: 0 written, nothing firing at the end of the log; 1 written, an alert firing;
 * 2 bad arguments, an unreadable events file or bad thresholds; 3 the page could not be written.
 */
import { MissingPackagesError } from "./optional-packages.js";
import { parseCommandLine, UsageError } from "./usage-error.js";

export { REPORT_USAGE } from "./usage.js";

export async function reportCommand(args: readonly string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const parsed = parseCommandLine({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: "string" },
      title: { type: "string" },
      alert: { type: "string", multiple: true },
      thresholds: { type: "string" },
    },
  });
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError("report needs exactly one events file (JSON lines from recordEvents)");
  const overrides: Record<string, unknown> = {};
  for (const pair of values.alert ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--alert takes name=value, got "${pair}"`);
    overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const report = await import("../report/index.js");
  try {
    const fromFile = values.thresholds === undefined ? {} : await thresholdsFile(values.thresholds);
    const thresholds = report.thresholdsWith({ ...fromFile, ...overrides });
    const outFile = values.out ?? "report.html";
    const summary = await report.writeReport(positionals[0]!, outFile, { thresholds, ...(values.title !== undefined ? { title: values.title } : {}) });
    const firing = summary.alerts.filter((a) => a.firing);
    const fired = summary.alerts.filter((a) => a.fired.length > 0);
    out(`carewire: report → ${outFile} (${summary.events} events, ${summary.malformed} malformed line(s)${summary.cut ? `, stopped at the ${summary.cut === "max-bytes" ? "size" : "line"} cap` : ""})\n`);
    out(`carewire: alerts: ${fired.length === 0 ? "none fired" : fired.map((a) => `${a.id}${a.firing ? " (firing)" : ""}`).join(", ")}\n`);
    return firing.length > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof report.ReportPackageMissingError) throw new MissingPackagesError("report", ["uplot"]);
    if (error instanceof report.ReportFileError || error instanceof report.ReportThresholdError) {
      process.stderr.write(`carewire: report: ${error.message}\n`);
      return 2;
    }
    if (error instanceof report.ReportOutputError) {
      process.stderr.write(`carewire: report: ${error.message}\n`);
      return 3;
    }
    throw error;
  }
}

/** A JSON object of thresholds by name; read bounded, parsed inside the report's typed errors. */
async function thresholdsFile(file: string): Promise<Record<string, unknown>> {
  const { ReportThresholdError } = await import("../report/errors.js");
  const { readFileHead } = await import("../report/read-events.js");
  let head: { readonly text: string; readonly more: boolean };
  try {
    head = await readFileHead(file, 64 * 1024);
  } catch (error) {
    throw new ReportThresholdError(`cannot read the thresholds file ${file}: ${(error as Error).message}`);
  }
  const { text } = head;
  if (head.more) throw new ReportThresholdError(`the thresholds file ${file} is over 64 KiB: it holds a few numbers`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReportThresholdError(`the thresholds file ${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ReportThresholdError(`the thresholds file ${file} must hold one JSON object of thresholds by name`);
  return parsed as Record<string, unknown>;
}
