/**
 * How each operation pages: the spec's `x-carewire-pagination` hint when it has one, else
 * the style detection recognises (or none). The result goes into the operation's registry
 * entry, where the runtime and the simulator read it.
 */
import type { OperationDescriptor } from "../runtime/core/operation.js";
import type { PaginationDescriptor } from "../runtime/pagination/descriptor.js";
import { HINT_KEYS, type HintContext } from "./hints.js";
import type { JsonObject } from "./json.js";
import { detectPagination } from "./pagination-detect.js";
import { readPaginationHint } from "./pagination-hint.js";

export function paginationOf(doc: JsonObject, method: string, operation: JsonObject, parameters: readonly JsonObject[], ctx: HintContext): PaginationDescriptor | undefined {
  const queryParams = new Set(parameters.filter((p) => p.in === "query" && typeof p.name === "string").map((p) => p.name as string));
  const hint = readPaginationHint(operation[HINT_KEYS.pagination], queryParams, ctx);
  if (hint === false) return undefined;
  return hint ?? detectPagination({ doc, method, operation, parameters });
}

/** The client methods paging adds to an operation. */
export function pagingMethodNames(name: string): { readonly all: string; readonly pages: string } {
  return { all: `${name}All`, pages: `${name}Pages` };
}

/**
 * Drops paging from an operation whose `…All` or `…Pages` name is already another
 * operation's: the client keeps the operation the spec declares.
 */
export function withoutPagingClashes(descriptors: readonly OperationDescriptor[]): OperationDescriptor[] {
  const names = new Set(descriptors.map((d) => d.name));
  return descriptors.map((d) => {
    if (d.pagination === undefined) return d;
    const { all, pages } = pagingMethodNames(d.name);
    if (!names.has(all) && !names.has(pages)) return d;
    const { pagination: _dropped, ...rest } = d;
    return rest;
  });
}
