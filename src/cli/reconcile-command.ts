/**
 * `carewire reconcile`: the app's delivered records (NDJSON, one FHIR resource per line)
 * against what a FHIR server holds, by business identifier. Exit 0 in sync, 1 differences
 * found, 2 bad input (arguments, a bad source line, a checkpoint from another run), 3 a
 * failure on the way (the server, the disk): a `--checkpoint` run then resumes where it was.
 */
import type { Resource } from "fhir/r4.js";
import type { OutboxStore } from "../outbox/outbox-store.js";
import { openOutboxArgument } from "./outbox-argument.js";
import { parseCommandLine, UsageError } from "./usage-error.js";

export { RECONCILE_USAGE } from "./usage.js";

// Arguments are checked before the FHIR client and the reconciler are imported (below,
// with `await import`), so a mistyped flag is answered at once.

export interface ReconcileCommandDeps {
  /** Opens the outbox for `--repair`. Default: the SQLite outbox store at that path. */
  readonly openOutbox?: (path: string) => Promise<Pick<OutboxStore, "add" | "close">>;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
}

function parse(args: readonly string[]) {
  return parseCommandLine({
    args: [...args],
    options: {
      source: { type: "string" },
      fhir: { type: "string" },
      type: { type: "string" },
      "identifier-system": { type: "string" },
      checkpoint: { type: "string" },
      "batch-size": { type: "string" },
      token: { type: "string" },
      "hash-keys": { type: "boolean" },
      json: { type: "boolean" },
      repair: { type: "boolean" },
      outbox: { type: "string" },
      provider: { type: "string" },
    },
    allowPositionals: false,
    strict: true,
  });
}

function required(value: string | boolean | undefined, flag: string): string {
  if (typeof value !== "string" || value.length === 0) throw new UsageError(`reconcile needs ${flag}`);
  return value;
}

export async function reconcileCommand(args: readonly string[], deps: ReconcileCommandDeps = {}): Promise<number> {
  const { values } = parse(args);
  const sourceFile = required(values.source, "--source <file.ndjson>");
  const baseUrl = required(values.fhir, "--fhir <baseUrl>").replace(/\/+$/, "");
  const type = required(values.type, "--type <ResourceType>");
  const system = required(values["identifier-system"], "--identifier-system <uri>");
  if (!/^https?:\/\/[^/]/.test(baseUrl) || !URL.canParse(baseUrl)) throw new UsageError(`--fhir needs an http(s) base URL, got "${baseUrl}"`);
  if (!/^[A-Z][A-Za-z]{1,63}$/.test(type)) throw new UsageError(`--type needs a FHIR resource type like Patient, got "${type}"`);
  const batchText = values["batch-size"];
  const batchSize = batchText === undefined ? undefined : Number(batchText);
  if (batchSize !== undefined && (!/^\d+$/.test(batchText!) || batchSize < 1 || batchSize > 1_000)) throw new UsageError(`--batch-size needs a whole number from 1 to 1000, got "${batchText}"`);
  const repairing = values.repair === true;
  if (repairing && values.outbox === undefined) throw new UsageError("--repair needs --outbox <sqlite:file or postgres://…>");
  if (!repairing && values.outbox !== undefined) throw new UsageError("--outbox goes with --repair");
  const provider = values.provider ?? "fhir";
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));

  const [{ createFhirClient }, reconcileModule, { CarewireError }] = await Promise.all([import("../fhir/client.js"), import("../reconcile/index.js"), import("../runtime/core/errors.js")]);
  const { reconcile, fhirTarget, ndjsonSource, outboxRepair, formatReport, inSync, identifierValue, ReconcileError } = reconcileModule;

  const fhir = createFhirClient({ baseUrl, provider, ...(typeof values.token === "string" ? { headers: { authorization: `Bearer ${values.token}` } } : {}) }, { resources: { [type]: ["search-type"] }, system: [] });
  const target = fhirTarget(fhir.resource<Resource, object, "search-type">(type as Resource["resourceType"]), { type, identifierSystem: system, server: baseUrl, ...(batchSize !== undefined ? { batchSize } : {}) });

  let outbox: Pick<OutboxStore, "add" | "close"> | undefined;
  let enqueued = 0;
  try {
    const source = await ndjsonSource(sourceFile);
    if (repairing) outbox = await (deps.openOutbox ?? openRepairOutbox)(values.outbox!);
    const store = outbox;
    const counting: Pick<OutboxStore, "add"> | undefined = store && {
      async add(intents, now) {
        const added = await store.add(intents, now);
        enqueued += added.filter((a) => a.added).length;
        return added;
      },
    };
    const report = await reconcile({
      source,
      target,
      ...(typeof values.checkpoint === "string" ? { checkpoint: values.checkpoint } : {}),
      ...(values["hash-keys"] === true ? { hashKeys: true } : {}),
      ...(counting ? { repair: outboxRepair(counting, { provider, operation: `${type}.ensure`, key: (r: unknown) => identifierValue(r, system) }) } : {}),
    });
    if (values.json === true) out(`${JSON.stringify(report, null, 2)}\n`);
    else {
      out(`${formatReport(report)}\n`);
      if (repairing) out(`repair: ${enqueued} missing record(s) enqueued as ${type}.ensure in ${values.outbox!} (ones already queued are not added again)\n`);
    }
    return inSync(report) ? 0 : 1;
  } catch (error) {
    // Bad input: the source, or a checkpoint from another run. The message names a line, never a record.
    if (error instanceof ReconcileError) {
      err(`carewire: reconcile: ${error.message}\n`);
      return 2;
    }
    if (error instanceof CarewireError) {
      err(`carewire: reconcile: the FHIR server could not be read (${error.kind}): ${error.message}${typeof values.checkpoint === "string" ? "; run again to resume from the checkpoint" : ""}\n`);
      return 3;
    }
    throw error;
  } finally {
    await outbox?.close();
  }
}

/**
 * The outbox `--repair` writes into, loaded only when asked for: `sqlite:<file>`,
 * `postgres://…`, or a bare file path (SQLite).
 */
function openRepairOutbox(where: string): Promise<Pick<OutboxStore, "add" | "close">> {
  return openOutboxArgument(/^(sqlite:|postgres(ql)?:\/\/)/i.test(where) ? where : `sqlite:${where}`, { existing: false });
}
