/** What `carewire report` and `writeReport` refuse, as classes with a stable `kind`. */
import { KindedError } from "../runtime/core/kinded-error.js";

export abstract class ReportError extends KindedError {}

/** The events file cannot be read (missing, a directory, unreadable). */
export class ReportFileError extends ReportError { readonly kind = "report-file" as const; }

/** The page cannot be written where it was asked to go. */
export class ReportOutputError extends ReportError { readonly kind = "report-output" as const; }

/** An alert threshold that is not a known name or not a positive number. */
export class ReportThresholdError extends ReportError { readonly kind = "report-threshold" as const; }

/** uPlot, the optional peer the page draws its plots with, is not installed. */
export class ReportPackageMissingError extends ReportError {
  readonly kind = "report-package-missing" as const;
  constructor(cause?: unknown) {
    super("carewire report needs uplot: npm i -D uplot", { cause });
  }
}
