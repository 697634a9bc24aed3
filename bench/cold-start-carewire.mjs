// Cold start, carewire: a fresh `node` process imports the generated clinic client (as tsc
// emits it, bench/.work/clinic) and carewire from dist/, makes one call against the URL in
// argv[2], and prints when the first result was in hand (ms since the process started, by
// node's own clock) before exiting. Default policies, only `pacing: { limit: Infinity }`
// (the clinic spec declares a 120/min quota). See bench/runtime.bench.ts.
import { createClinicClient } from "./.work/clinic/index.js";

const client = createClinicClient({ baseUrl: process.argv[2], pacing: { limit: Infinity } });
const result = await client.listPatients({ params: { query: { pageSize: 50 } } });
if (result.error || result.data.data.length !== 50) {
  process.stderr.write(`cold start: ${String(result.error)}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ firstResultMs: performance.now() })}\n`);
process.exit(0);
