/**
 * A reconcile run in its own process, to be killed: `tsx test/reconcile/reconcile-child.ts
 * '<settings json>'`. It prints `progress <n>` after each committed batch; once `stopAt`
 * records are committed, it reads the next batch from the server and then hangs before
 * committing it, printing `hanging`, so the parent's SIGKILL lands in the middle of a batch.
 */
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { fhirTarget, ndjsonSource, reconcile } from "../../src/reconcile/index.js";

interface Settings {
  readonly baseUrl: string;
  readonly source: string;
  readonly checkpoint: string;
  readonly system: string;
  readonly batchSize: number;
  readonly stopAt: number;
}

const settings = JSON.parse(process.argv[2] ?? "{}") as Settings;
const fhir = createFhirR4Client({ baseUrl: settings.baseUrl, pacing: { limit: Infinity } });
const target = fhirTarget(fhir.Patient, { type: "Patient", identifierSystem: settings.system, batchSize: settings.batchSize, server: settings.baseUrl });
let committed = 0;
await reconcile({
  source: await ndjsonSource(settings.source),
  target: {
    ...target,
    async lookup(keys) {
      const found = await target.lookup(keys);
      if (committed >= settings.stopAt) {
        process.stdout.write("hanging\n");
        await new Promise<never>(() => undefined);
      }
      return found;
    },
  },
  checkpoint: settings.checkpoint,
  onProgress: ({ position }) => {
    committed = position;
    process.stdout.write(`progress ${position}\n`);
  },
});
process.stdout.write("finished\n");
