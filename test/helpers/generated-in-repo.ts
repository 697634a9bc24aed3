/**
 * A spec generated into a folder inside the repository, so the client resolves `carewire` as
 * an app's would, removed after the file's tests; with the TypeScript programs its README shows.
 */
import { afterAll } from "@jest/globals";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runGenerate } from "carewire/codegen";
import { ROOT } from "./cli.js";

export interface GeneratedInRepo {
  /** The folder: the spec is `spec.json` in it, the client `gen/`. */
  readonly dir: string;
  /** Generates `spec` as provider `name`; the README's ```ts programs, in order. */
  generate(spec: object, name: string): Promise<string[]>;
}

export function generatedInRepo(stem: string): GeneratedInRepo {
  const dir = path.join(ROOT, ".tmp", `${stem}-${process.pid}`);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async generate(spec, name) {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "spec.json"), JSON.stringify(spec));
      await runGenerate({ mode: "single", spec: path.join(dir, "spec.json"), outDir: path.join(dir, "gen"), name, check: false });
      const readme = await readFile(path.join(dir, "gen/README.md"), "utf8");
      return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
    },
  };
}
