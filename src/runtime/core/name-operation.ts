/**
 * An error's message names the operation it came from, by its path template (never the
 * filled-in path, which can hold identifiers): a log line alone then says which call failed.
 * Set before anything reads the error's stack, whose first line is formatted from it then.
 */
import type { CarewireError } from "./errors.js";
import type { OperationDescriptor } from "./operation.js";

export function nameOperation<E extends CarewireError>(error: E, operation: OperationDescriptor): E {
  const suffix = ` (${operation.operationId}: ${operation.method.toUpperCase()} ${operation.path})`;
  // An error a caller's fetch throws again and again is one object: named once.
  if (!error.message.endsWith(suffix)) error.message = `${error.message}${suffix}`;
  return error;
}
