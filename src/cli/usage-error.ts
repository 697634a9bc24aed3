import { parseArgs, type ParseArgsConfig } from "node:util";

/** A command line that cannot be run as given: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** node:util's `parseArgs`, with what it refuses (an unknown flag, a missing value) as a UsageError. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
