/** The `…All` and `…Pages` functions a generated client gets for each pageable operation. */
import type { OperationDescriptor, OperationSchemas } from "../core/operation.js";
import type { Pipeline } from "../core/pipeline.js";
import { items, pages } from "./paginate.js";
import type { Page, PagingOptions } from "./types.js";

export interface PagingMethods {
  readonly all: (input?: unknown, options?: PagingOptions) => AsyncGenerator<unknown, void, undefined>;
  readonly pages: (input?: unknown, options?: PagingOptions) => AsyncGenerator<Page<unknown, unknown>, void, undefined>;
}

/** The paging functions of one operation, or undefined when its registry entry says it does not page. */
export function pagingMethods(client: { readonly pipeline: Pipeline; readonly baseUrl: string | undefined }, operation: OperationDescriptor, schemas: OperationSchemas): PagingMethods | undefined {
  const pagination = operation.pagination;
  if (pagination === undefined) return undefined;
  const target = { pipeline: client.pipeline, baseUrl: client.baseUrl, operation: { ...operation, pagination }, schemas };
  return { all: (input, options) => items(target, input, options), pages: (input, options) => pages(target, input, options) };
}
