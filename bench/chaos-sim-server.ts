// The clinic simulator in its own process for the chaos benchmark: `tsx bench/chaos-sim-server.ts '<options json>'`.
// Like sim-process.ts, plus the WHOLE request log: the simulator keeps only its newest 10 000
// entries, so this process drains the new ones every 50 ms (by the request counter, which
// moves with the log) and serves them all on a second port at GET /full-log.
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { clinicScenario, startSimulator, type LogEntry } from "../src/testing/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const options = JSON.parse(process.argv[2] ?? "{}") as Record<string, unknown>;
const sim = await startSimulator({ spec: path.resolve(here, "../specs/clinic/openapi.yaml"), handlers: clinicScenario, auth: false, ...options });

const full: LogEntry[] = [];
let seen = 0;
/** Entries that left the simulator's log before they were drained (0 unless this process starved). */
let missed = 0;
function drain(): void {
  const total = sim.counters.requests;
  const fresh = total - seen;
  if (fresh <= 0) return;
  const log = sim.log;
  const available = Math.min(fresh, log.length);
  missed += fresh - available;
  for (let i = log.length - available; i < log.length; i++) full.push(log[i]!);
  seen = total;
}
const timer = setInterval(drain, 50);

const side = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/full-log") {
    drain();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ entries: full, missed }));
    return;
  }
  res.writeHead(404).end();
});
await new Promise<void>((resolve) => side.listen(0, "127.0.0.1", resolve));
const address = side.address();
const logUrl = typeof address === "object" && address ? `http://127.0.0.1:${address.port}/full-log` : "";

process.stdout.write(`${JSON.stringify({ url: sim.url, startedAt: sim.startedAt, logUrl })}\n`);
process.on("SIGTERM", () => {
  clearInterval(timer);
  side.close();
  void sim.close().then(() => process.exit(0));
});
