/**
 * The database drivers are optional peer dependencies: they are loaded only when a store
 * is made, so importing carewire never needs a native module or pg.
 */
import { requireOptional } from "../runtime/portable/node-builtin.js";
import { OutboxDriverMissingError } from "./errors.js";

type Loader = (name: string) => unknown;

/** Node's `require`, fetched on first use: a SQLite paging checkpoint reaches this from the runtime's entry, which bundles for browsers too. */
const requireHere: Loader = (name) => requireOptional(`the "${name}" driver`)(name);

/** The driver's module, or OutboxDriverMissingError when it is not installed or will not load (a native build for another platform). */
export function loadDriver<T>(name: "better-sqlite3" | "pg", load: Loader = requireHere): T {
  try {
    return load(name) as T;
  } catch (error) {
    throw new OutboxDriverMissingError(name, error);
  }
}
