/**
 * Generated code compiles under the strictest settings an app may use, declaration files
 * included: the client's types live in `client-types.d.ts`, which apps with `skipLibCheck`
 * (and this repository's own typecheck) never check, so this test checks it in full. An app
 * beside it proves the types are the operations' own: a right call compiles, wrong ones fail.
 */
import { describe, expect, it } from "@jest/globals";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import ts from "typescript";
import { ROOT } from "../helpers/cli.js";
import { STRICTEST_PROGRAM } from "../helpers/strictest.js";
import { tempDirForFile } from "../helpers/temp-dir.js";

const GENERATED = path.join(ROOT, "generated/clinic");
const tmp = tempDirForFile("generated-types");

/** Errors tsc reports in `files` (not in libraries they use), as `file(line): message`. */
function errorsIn(files: readonly string[]): string[] {
  const program = ts.createProgram({
    rootNames: files,
    // The declaration files too: they are what an app with skipLibCheck never checks.
    options: { ...STRICTEST_PROGRAM, skipLibCheck: false },
  });
  return files.flatMap((file) => {
    const source = program.getSourceFile(file);
    if (source === undefined) return [`${file}: not in the program`];
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1;
      return `${path.basename(file)}(${line}): ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    });
  });
}

describe("generated code under strict settings", () => {
  it("compiles every generated file, declaration files included, and types each call by its operation", async () => {
    // .mts: an ES module (top-level await) without a package.json beside it.
    const app = tmp("app.mts");
    const from = path.relative(tmp(), path.join(GENERATED, "index.js")).split(path.sep).join("/");
    await writeFile(
      app,
      [
        `import { createClinicClient } from "${from.startsWith(".") ? from : `./${from}`}";`,
        `const client = createClinicClient({ baseUrl: "https://example.test" });`,
        `const ok = await client.getPatient({ params: { path: { patientId: "p1" } } });`,
        `if (ok.data) console.log(ok.data.familyName satisfies string);`,
        `// @ts-expect-error the path parameter is required`,
        `await client.getPatient({ params: { path: {} } });`,
        `// @ts-expect-error the path parameter is a string`,
        `await client.getPatient({ params: { path: { patientId: 1 } } });`,
        `// @ts-expect-error no such field on a patient`,
        `if (ok.data) console.log(ok.data.noSuchField);`,
        `// @ts-expect-error no such operation`,
        `await client.noSuchOperation();`,
        `// Per-call options pass on values an app may not have, under exactOptionalPropertyTypes.`,
        `declare const maybeSignal: AbortSignal | undefined;`,
        `declare const maybeTimeout: number | undefined;`,
        `await client.getPatient({ params: { path: { patientId: "p1" } } }, { signal: maybeSignal, timeoutMs: maybeTimeout, idempotencyKey: undefined });`,
        ``,
      ].join("\n"),
    );
    const generated = ["client.ts", "client-types.d.ts", "operations.ts", "schemas.ts", "index.ts", "schema.d.ts"].map((f) => path.join(GENERATED, f));
    expect(errorsIn([...generated, app])).toEqual([]);
  });

  it("an error body is the declared error bodies' union, and unknown where an operation declares none", async () => {
    const app = tmp("error-body.mts");
    const carewire = path.relative(tmp(), path.join(ROOT, "src/index.js")).split(path.sep).join("/");
    await writeFile(
      app,
      [
        `import type { ErrorBody } from "${carewire}";`,
        `type OnlySuccess = { responses: { 200: { headers: Record<string, unknown>; content: { "application/json": { id: string } } } } };`,
        `type WithProblem = { responses: { 200: { headers: Record<string, unknown>; content: { "application/json": { id: string } } }; 404: { headers: Record<string, unknown>; content: { "application/problem+json": { title: string } } } } };`,
        `declare const undeclared: ErrorBody<OnlySuccess>;`,
        `const anything: unknown = undeclared;`,
        `const back: ErrorBody<OnlySuccess> = anything;`,
        `// @ts-expect-error an undeclared body must be checked before it is read`,
        `console.log(undeclared.detail, back);`,
        `declare const problem: ErrorBody<WithProblem>;`,
        `console.log(problem.title satisfies string);`,
        ``,
      ].join("\n"),
    );
    expect(errorsIn([app])).toEqual([]);
  });
});
