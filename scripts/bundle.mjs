// The published runtime entries as bundles: one ESM file per entry with the code they share
// in common chunks (so a class is one class whichever entry a user imports it from), and the
// dependencies left as imports. Importing carewire then reads a handful of files instead of
// seventy modules, which is most of a cold start. tsc has already written the declarations
// and the per-module files the CLI and codegen run from; this overwrites only the entries.
import { rm } from "node:fs/promises";
import { build } from "esbuild";

// Chunk names carry a content hash: last build's would otherwise stay in dist/ and be packed.
await rm(new URL("../dist/chunks", import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: ["src/index.ts", "src/zod.ts", "src/fhir/index.ts", "src/testing/index.ts", "src/outbox/index.ts", "src/reconcile/index.ts", "src/webhooks/index.ts", "src/polling/index.ts"],
  outdir: "dist",
  outbase: "src",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: false,
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning",
});
