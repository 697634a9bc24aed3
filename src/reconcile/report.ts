/**
 * The report: which records are missing, extra or different, by key only. Keys may be
 * identifiers of people (an MRN): with `hashKeys` they are replaced by a hash, so a report
 * can be shared; the app can hash its own keys the same way to find the records.
 */
import { createHash, createHmac } from "node:crypto";
import type { CheckpointResults } from "./checkpoint.js";
import type { Key } from "./types.js";

export interface ReconcileReport {
  /** In the source, not on the target: delivered as far as the app knows, yet not there. */
  readonly missing: Key[];
  /** On the target, not in the source (only when the target can be listed; see `extraChecked`). */
  readonly extra: Key[];
  /** On both, with these field paths differing (no values). */
  readonly different: Array<{ key: Key; fields: string[] }>;
  /** On both and equal. */
  readonly matched: number;
  /** Source records read, duplicates included. */
  readonly sourceCount: number;
  /** Target records listed, or, when the target cannot be listed, the ones the lookups found. */
  readonly targetCount: number;
  readonly durationMs: number;
  /** Keys that appear twice in the source, or on more than one target record: only the first of each is compared. */
  readonly duplicates: Key[];
  /** Whether the target was listed to look for extra records. */
  readonly extraChecked: boolean;
}

/** `true`: SHA-256 of the key. With a secret: HMAC-SHA-256, which a reader without the secret cannot reverse by trying every MRN. */
export type HashKeys = boolean | { readonly secret: string };

export function keyHasher(option: HashKeys | undefined): (key: Key) => Key {
  if (option === undefined || option === false) return (key) => key;
  if (option === true) return (key) => `sha256:${createHash("sha256").update(key).digest("hex")}`;
  const secret = option.secret;
  return (key) => `hmac:${createHmac("sha256", secret).update(key).digest("hex")}`;
}

export interface ReportCounts {
  readonly sourceCount: number;
  readonly matched: number;
  readonly targetFound: number;
  readonly durationMs: number;
  readonly extraChecked: boolean;
}

/** The report from a finished run's results; lists sorted, so every run over the same data gives the same report. */
export function buildReport(results: CheckpointResults, counts: ReportCounts, hashKeys?: HashKeys): ReconcileReport {
  const hash = keyHasher(hashKeys);
  const keys = (list: readonly Key[]) => list.map(hash).sort();
  return {
    missing: keys(results.missing),
    extra: counts.extraChecked ? keys(results.extra) : [],
    different: results.different.map((d) => ({ key: hash(d.key), fields: d.fields })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    matched: counts.matched,
    sourceCount: counts.sourceCount,
    targetCount: counts.extraChecked ? results.targetListed : counts.targetFound,
    durationMs: counts.durationMs,
    duplicates: keys(results.duplicates),
    extraChecked: counts.extraChecked,
  };
}

/** Whether source and target agree: nothing missing, extra, different or duplicated. */
export function inSync(report: ReconcileReport): boolean {
  return report.missing.length === 0 && report.extra.length === 0 && report.different.length === 0 && report.duplicates.length === 0;
}

/** A short text table, with the first `show` keys of each list (the JSON report has them all). */
export function formatReport(report: ReconcileReport, options: { readonly show?: number } = {}): string {
  const show = options.show ?? 10;
  const rows: Array<[string, number | string]> = [
    ["source records", report.sourceCount],
    ["target records", report.targetCount],
    ["matched", report.matched],
    ["missing", report.missing.length],
    ["extra", report.extraChecked ? report.extra.length : "not checked"],
    ["different", report.different.length],
    ["duplicates", report.duplicates.length],
  ];
  const lines = [`reconcile: ${inSync(report) ? "in sync" : "differences found"} (${(report.durationMs / 1000).toFixed(1)} s)`];
  for (const [name, value] of rows) lines.push(`  ${name.padEnd(16)} ${String(value).padStart(9)}`);
  const list = (title: string, items: readonly string[]) => {
    if (items.length === 0) return;
    const more = items.length > show ? ` … and ${items.length - show} more` : "";
    lines.push(`${title}: ${items.slice(0, show).join(", ")}${more}`);
  };
  list("missing", report.missing);
  list("extra", report.extra);
  list("different", report.different.map((d) => `${d.key} (${d.fields.join(", ")})`));
  list("duplicates", report.duplicates);
  return lines.join("\n");
}
