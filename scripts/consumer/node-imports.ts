/**
 * Which Node built-ins a bundle reaches: an esbuild plugin keeps them out of the bundle as
 * externals (so a browser build reports them instead of failing on the first), and the
 * metafile then lists every one with the file that imports it.
 */
import { builtinModules } from "node:module";
import type { Metafile, Plugin } from "esbuild";

const BUILTINS = new Set(builtinModules);

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || BUILTINS.has(specifier) || BUILTINS.has(specifier.split("/")[0]!);
}

/** Marks every Node built-in external, to be found in the metafile. */
export const nodeBuiltinsExternal: Plugin = {
  name: "node-builtins-external",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => (isNodeBuiltin(args.path) ? { path: args.path, external: true } : undefined));
  },
};

/** `<built-in> <- <importing file>` for every Node built-in the bundle imports. */
export function nodeImportsOf(metafile: Metafile): string[] {
  const found: string[] = [];
  for (const [file, input] of Object.entries(metafile.inputs)) {
    for (const imported of input.imports) if (isNodeBuiltin(imported.path)) found.push(`${imported.path} <- ${file}`);
  }
  return found;
}
