/**
 * The one error type codegen raises for bad input. It renders as a single line
 * naming the file, the JSON pointer (or line:column when the text did not even
 * parse) and the reason, which is what a CI log needs and what the CLI prints.
 */
import { KindedError } from "../runtime/core/kinded-error.js";
export type SpecErrorKind =
  | "spec-unreadable"
  /** A spec URL that did not answer in time, or whose server failed (5xx, network): worth a retry. */
  | "spec-unreachable"
  | "spec-syntax"
  | "spec-unsupported"
  | "spec-invalid"
  | "config-invalid"
  | "overlay-invalid"
  | "template-invalid";

export class SpecError extends KindedError<SpecErrorKind> {
  constructor(
    readonly kind: SpecErrorKind,
    readonly file: string,
    readonly reason: string,
    readonly where: { pointer?: string; line?: number; column?: number } = {},
  ) {
    super(formatSpecError(file, reason, where));
  }
}

function formatSpecError(
  file: string,
  reason: string,
  where: { pointer?: string; line?: number; column?: number },
): string {
  let location = file;
  if (where.pointer !== undefined) location += `#${where.pointer}`;
  else if (where.line !== undefined) location += `:${where.line}:${where.column ?? 1}`;
  // One line, always: reasons from parsers can carry code frames.
  return `${location}: ${reason.replace(/\s*\n\s*/g, " ").trim()}`;
}

/** RFC 6901 escaping of one pointer segment. */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, "~0").replace(/\//g, "~1");
}

export function pointerOf(segments: ReadonlyArray<string | number>): string {
  return segments.length === 0 ? "" : "/" + segments.map(escapePointerSegment).join("/");
}
