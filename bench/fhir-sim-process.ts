// The FHIR simulator in its own process for the bulk benchmark, so the server's memory is
// not counted against the client's: `tsx bench/fhir-sim-process.ts '<options json>'`.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startFhirSimulator } from "../src/testing/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const options = JSON.parse(process.argv[2] ?? "{}") as Record<string, unknown>;
const sim = await startFhirSimulator({ capability: path.resolve(here, "../specs/fhir-r4/capability.json"), ...options });
process.stdout.write(`${JSON.stringify({ url: sim.url })}\n`);
process.on("SIGTERM", () => void sim.close().then(() => process.exit(0)));
