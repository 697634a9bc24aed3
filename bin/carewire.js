#!/usr/bin/env node
// The installed `carewire` command: runs the compiled CLI (dist/, built before the package is packed).
import { existsSync } from "node:fs";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(compiled)) {
  // Only a checkout of carewire's own repository has no dist/ (the package always ships it).
  process.stderr.write("carewire: dist/ is not built in this checkout: run `npm run build` once, or `npm run carewire -- <command>` to run the CLI from source\n");
  process.exit(2);
}
const { main } = await import(compiled.href);
process.exitCode = await main(process.argv.slice(2));
