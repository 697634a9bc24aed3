// Import time: `node bench/import-time.mjs <specifier>…` imports each specifier in turn in
// this fresh process and prints how long each import took (ms, after the ones before it
// were loaded), so `zod carewire` tells zod's share of `carewire`. It also says whether ajv
// was loaded (carewire/fhir needs it only for strict validation, not to import).
//
// With IMPORT_COUNT=1 it instead counts the ES modules each import loads, per package, and
// their bytes (through a module.register load hook, which itself slows loading: timings
// from that mode are not reported).
import { createRequire, register } from "node:module";
import { MessageChannel } from "node:worker_threads";

const counting = process.env.IMPORT_COUNT === "1";
const loadedModules = [];
if (counting) {
  const { port1, port2 } = new MessageChannel();
  port1.on("message", (m) => loadedModules.push(m));
  port1.unref();
  const hooks = `
    let port;
    export function initialize(data) { port = data.port; }
    export async function load(url, context, next) {
      const result = await next(url, context);
      port.postMessage({ url, bytes: result.source ? result.source.length ?? result.source.byteLength : 0 });
      return result;
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: port2 }, transferList: [port2] });
}

const steps = [];
const startMs = performance.now();
for (const specifier of process.argv.slice(2)) {
  const t0 = performance.now();
  await import(specifier);
  steps.push({ specifier, ms: performance.now() - t0 });
  if (counting) {
    // Let the hook thread's messages arrive, then group this step's modules by package.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const byPackage = {};
    for (const { url, bytes } of loadedModules.splice(0)) {
      if (!url.startsWith("file:")) continue;
      const tail = url.includes("/node_modules/") ? url.split("/node_modules/").pop().split("/") : ["carewire"];
      const name = tail[0].startsWith("@") ? `${tail[0]}/${tail[1]}` : tail[0];
      byPackage[name] ??= { modules: 0, kB: 0 };
      byPackage[name].modules++;
      byPackage[name].kB += bytes / 1024;
    }
    for (const figures of Object.values(byPackage)) figures.kB = Math.round(figures.kB);
    steps[steps.length - 1].packages = byPackage;
  }
}
const loaded = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(
  `${JSON.stringify({ bootMs: startMs, steps, ajvLoaded: loaded.some((file) => file.includes("/node_modules/ajv/")) })}\n`,
);
