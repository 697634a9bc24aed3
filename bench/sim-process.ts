// A simulator in its own process for the runtime benchmark, so the server's work does not
// share an event loop with the clients under test: `tsx bench/sim-process.ts '<options json>'`.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { clinicScenario, startSimulator } from "../src/testing/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const options = JSON.parse(process.argv[2] ?? "{}") as Record<string, unknown>;
const sim = await startSimulator({ spec: path.resolve(here, "../specs/clinic/openapi.yaml"), handlers: clinicScenario, auth: false, ...options });
process.stdout.write(`${JSON.stringify({ url: sim.url, startedAt: sim.startedAt })}\n`);
process.on("SIGTERM", () => void sim.close().then(() => process.exit(0)));
