/**
 * The programs in examples/ are what a user copies: each compiles under the strictest
 * settings an app may use, and each runs to completion in its own process against
 * carewire's simulators, printing what its header promises.
 */
import { describe, expect, it } from "@jest/globals";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { ROOT, childTestTimeout, runNode, tsxArgs } from "./helpers/cli.js";
import { strictAppErrors } from "./helpers/strict-compile.js";

const EXAMPLES = path.join(ROOT, "examples");

/** What each example must print: the behaviour it exists to show. */
const EXPECTED: Readonly<Record<string, readonly RegExp[]>> = {
  "clinic-retries.ts": [
    /createPatient: \S+, idempotency key cw1-/,
    /attempt 2: 201/, // the lost answer was retried…
    /attempt 1: 503 after 0 ms \(HTTP 503; retry in \d+ ms \(server asked\)\)/, // …and Retry-After honoured
    /attempt 2: 200 after \d+ ms/,
    /server: 1 write committed, 0 duplicates, 1 replayed/,
  ],
  "fhir-search-create.ts": [/MRN-1: (\S+) created=true, again: \1 created=false/, /first page: 2 of 3/, /all pages: Juniper, Rowan, Ash/, /server: 3 Patient resources/],
  "outbox-sqlite.ts": [/added true; again: added false/, /worker: 3 committed, 0 deferred, 0 dead/, /server: 3 appointments written, 0 duplicates/],
  // Node's runner prints its summary as TAP (`# pass`) or, on newer Node versions, with `ℹ`.
  "contract.test.ts": [/[#ℹ] pass 12/, /[#ℹ] fail 0/],
};

describe("examples/", () => {
  it("holds the examples this test knows, and they compile under strictest settings", async () => {
    const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith(".ts")).sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    expect(strictAppErrors(files.map((f) => path.join(EXAMPLES, f)))).toEqual([]);
  });

  it.each(Object.keys(EXPECTED))("%s runs against the simulators", async (file) => {
    const result = await runNode(tsxArgs(path.join(EXAMPLES, file)));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    for (const line of EXPECTED[file]!) expect(result.stdout).toMatch(line);
  }, childTestTimeout(1));
});
