/**
 * Finds a request's entry in an operation registry (a generated `operations` object, or
 * a list of descriptors) by method and path. A template matches the end of the request's
 * path, so a base path (`/v1`, a tenant prefix) needs no configuration. Where several
 * match, the one with the most literal segments wins (`/patients/search` over
 * `/patients/{id}`).
 */
import type { HttpMethod, OperationDescriptor } from "../core/operation.js";

/** A generated registry (`operations`) or any list of descriptors. */
export type OperationRegistry = Readonly<Record<string, OperationDescriptor>> | readonly OperationDescriptor[];

interface CompiledTemplate {
  readonly descriptor: OperationDescriptor;
  readonly pattern: RegExp;
  readonly literalSegments: number;
}

export type OperationMatcher = (method: HttpMethod, pathname: string) => OperationDescriptor | undefined;

export function operationMatcher(registry: OperationRegistry | undefined): OperationMatcher {
  if (registry === undefined) return () => undefined;
  const list: readonly OperationDescriptor[] = Array.isArray(registry) ? registry : Object.values(registry as Readonly<Record<string, OperationDescriptor>>);
  const byMethod = new Map<HttpMethod, CompiledTemplate[]>();
  for (const descriptor of list) {
    const compiled = compileTemplate(descriptor);
    const entries = byMethod.get(descriptor.method) ?? [];
    entries.push(compiled);
    byMethod.set(descriptor.method, entries);
  }
  // Most specific first, so the first match is the best one.
  for (const entries of byMethod.values()) entries.sort((a, b) => b.literalSegments - a.literalSegments || b.descriptor.path.length - a.descriptor.path.length);
  return (method, pathname) => byMethod.get(method)?.find((entry) => entry.pattern.test(pathname))?.descriptor;
}

function compileTemplate(descriptor: OperationDescriptor): CompiledTemplate {
  const segments = descriptor.path.split("/").filter((s) => s !== "");
  let literalSegments = 0;
  const parts = segments.map((segment) => {
    if (!segment.includes("{")) literalSegments++;
    // A parameter takes one whole or partial segment (`{id}`, `{id}.json`), never a slash.
    return segment
      .split(/(\{[^}]*\})/)
      .map((piece) => (piece.startsWith("{") && piece.endsWith("}") ? "[^/]+" : escapeRegExp(piece)))
      .join("");
  });
  // The root matches the root only; any other template matches after any prefix of whole
  // segments, with an optional trailing slash.
  const pattern = parts.length === 0 ? /^\/?$/ : new RegExp(`^(?:/.*)?/${parts.join("/")}/?$`);
  return { descriptor, pattern, literalSegments };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
