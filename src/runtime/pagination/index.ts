/** Paging for generated OpenAPI clients: descriptors, the iterators, checkpoints and their errors. */
export type { BodyPath, CursorPaging, LinkHeaderPaging, NextUrlPaging, OffsetPaging, PageNumberPaging, PaginationDescriptor, PaginationStyle } from "./descriptor.js";
export { memoryPagingCheckpoint, type PagingCheckpoint, type PagingPosition } from "./checkpoint.js";
export { sqlitePagingCheckpoint, type SqlitePagingCheckpoint } from "./sqlite-checkpoint.js";
export { CheckpointMismatchError, RepeatedCursorError } from "./errors.js";
export { DEFAULT_MAX_PAGES, items as paginateItems, pages as paginatePages, type PagingTarget } from "./paginate.js";
export { pagingMethods, type PagingMethods } from "./methods.js";
export type { PageRequest } from "./page-request.js";
export type { OperationPage, Page, PageItem, PagingArgs, PagingOptions, ValueAtPath } from "./types.js";
