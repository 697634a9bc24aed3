// Cold start, raw openapi-fetch: the same call as bench/cold-start-carewire.mjs, set up as
// openapi-fetch's README does (types erased at build, so the spec's types cost nothing here).
import createClient from "openapi-fetch";

const client = createClient({ baseUrl: process.argv[2] });
const result = await client.GET("/patients", { params: { query: { pageSize: 50 } } });
if (result.error !== undefined || result.data.data.length !== 50) {
  process.stderr.write(`cold start: HTTP ${result.response.status}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ firstResultMs: performance.now() })}\n`);
process.exit(0);
