// One outbox worker process for the outbox benchmark: plain node on built JavaScript (carewire
// from dist/, the generated clinic client compiled into bench/.work/), as an app runs in
// production, so a restart after a SIGKILL costs what a real one does and no TypeScript
// loader. Settings arrive as one JSON argument; it prints `ready` once it is draining, and
// on SIGTERM stops cleanly and exits.
import { redisStore } from "carewire";
import { createOutbox, openOutboxStore, operationsOf } from "carewire/outbox";
import { createClinicClient } from "./.work/clinic/index.js";

const settings = JSON.parse(process.argv[2] ?? "{}");
const shared = settings.redisUrl ? redisStore({ url: settings.redisUrl, prefix: settings.prefix, expectedInstances: settings.workers }) : undefined;
const client = createClinicClient({
  baseUrl: settings.simUrl,
  pacing: { limit: settings.limit, windowMs: settings.windowMs },
  ...(shared ? { store: shared } : {}),
});
const outbox = createOutbox({ store: await openOutboxStore(settings.storeUrl), provider: client.provider, operations: operationsOf(client), ...(settings.rules ? { rules: settings.rules } : {}) });
// The worker slot's id, the same after a restart (as a pod or service instance name would be).
const worker = outbox.worker({ id: settings.id, ...settings.worker });
worker.start();
process.stdout.write("ready\n");
process.on("SIGTERM", async () => {
  await worker.stop({ graceMs: 1_000 });
  await outbox.close();
  await shared?.close();
  process.exit(0);
});
