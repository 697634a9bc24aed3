/**
 * An empty temporary folder for a whole test file: made before its first test, removed with
 * everything in it after its last, so no test leaves files behind on the machine.
 */
import { afterAll, beforeAll } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * Makes the folder (named `carewire-<stem>-…` under the OS temp folder) for the file and
 * returns a function that joins `parts` onto it: `tmp()` is the folder, `tmp("a/b.json")` a
 * path inside it. Call it inside tests (or hooks after the file's first beforeAll).
 */
export function tempDirForFile(stem: string): (...parts: string[]) => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `carewire-${stem}-`));
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return (...parts) => {
    if (dir === undefined) throw new Error("the file's temp folder is made in beforeAll: use it inside a test");
    return path.join(dir, ...parts);
  };
}
