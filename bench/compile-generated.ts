/**
 * Compiles a generated client (TypeScript in generated/<name>/) to JavaScript in
 * bench/.work/<name>/, as an app's own tsc build would emit it, so the overhead and
 * cold-start children run plain node on JavaScript: carewire from dist/ (the package's
 * `default` export condition, reached by self-reference from inside the package), the
 * generated code as emitted JS, no tsx. Types are only stripped (TypeScript's
 * transpileModule with the project's target); `npm run typecheck` checks them.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));

export async function compileGenerated(name: string): Promise<string> {
  const from = path.join(here, "../generated", name);
  const to = path.join(here, ".work", name);
  await mkdir(to, { recursive: true });
  for (const file of await readdir(from)) {
    if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
    const source = await readFile(path.join(from, file), "utf8");
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true },
    });
    await writeFile(path.join(to, file.replace(/\.ts$/, ".js")), outputText);
  }
  return to;
}
