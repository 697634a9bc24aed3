/**
 * Whether a store's answer is still to come. A thenable, not only `instanceof Promise`: a
 * store built on another promise library, or created in another realm, answers with a
 * promise that is not this realm's `Promise`, and taking it for the answer itself would
 * read fields it does not have.
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}
