// Runs one codegen tool in this process and prints its peak RSS, so both tools are
// measured the same way: `node run-one.mjs carewire|raw <spec> <out>`.
import { writeFile, mkdir } from "node:fs/promises";
import path from "node:path";

const [tool, spec, out] = process.argv.slice(2);
const started = performance.now();
if (tool === "carewire") {
  const { main } = await import("../dist/cli/main.js");
  const code = await main(["generate", "--spec", spec, "--out", out, "--name", "bench"]);
  if (code !== 0) process.exit(code);
} else if (tool === "raw") {
  const { default: openapiTS, astToString } = await import("openapi-typescript");
  const ast = await openapiTS(new URL(`file://${path.resolve(spec)}`), { silent: true });
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, "schema.d.ts"), astToString(ast));
} else {
  throw new Error(`unknown tool ${tool}`);
}
const inProcessMs = performance.now() - started;
process.stderr.write(`${JSON.stringify({ inProcessMs, maxRssKb: process.resourceUsage().maxRSS })}\n`);
