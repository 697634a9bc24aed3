/**
 * `carewire outbox`: what an operator needs at 3 a.m. — how much is waiting, what died and
 * why, replaying it safely (each intent keeps its idempotency key, so a replay of something
 * that did land writes nothing twice), and clearing old history. Listings never show
 * payloads or error bodies unless asked (`--with-bodies`): they may hold PHI.
 *
 * Exit codes: 0 done (status: nothing dead), 1 status found dead letters / replay matched
 * nothing, 2 bad arguments, 3 the store failed.
 */
import type { IntentSummary, OutboxCounts, OutboxStore } from "../outbox/outbox-store.js";
import { openOutboxArgument } from "./outbox-argument.js";
import { parseCommandLine, UsageError } from "./usage-error.js";

export { OUTBOX_USAGE } from "./usage.js";

const MAX_LIMIT = 10_000;

export async function outboxCommand(args: readonly string[], out: (text: string) => void = (t) => process.stdout.write(t), now: () => number = Date.now): Promise<number> {
  const [action, ...rest] = args;
  const parsed = parseCommandLine({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      store: { type: "string" },
      json: { type: "boolean" },
      dead: { type: "boolean" },
      since: { type: "string" },
      before: { type: "string" },
      tenant: { type: "string" },
      limit: { type: "string" },
      "with-bodies": { type: "boolean" },
    },
  });
  const { values, positionals } = parsed;
  if (!["status", "list", "replay", "purge"].includes(action ?? "")) throw new UsageError(`outbox needs status, list, replay or purge${action ? `, got "${action}"` : ""}`);
  if (action !== "replay" && positionals.length > 0) throw new UsageError(`outbox ${action} takes no positional arguments`);
  const url = values.store ?? process.env.CAREWIRE_OUTBOX_URL;
  if (url === undefined || url === "") throw new UsageError("outbox needs --store sqlite:<file> or postgres://… (or CAREWIRE_OUTBOX_URL)");
  const since = values.since === undefined ? undefined : timeArgument(values.since, "--since", now());
  const limit = values.limit === undefined ? 100 : wholeNumber(values.limit, "--limit");
  if (action === "replay" && positionals.length === 0 && !(values.dead && since !== undefined)) throw new UsageError("outbox replay needs ids, or --dead --since <time>");
  if (action === "replay" && positionals.length > 0 && values.dead) throw new UsageError("outbox replay takes ids or --dead --since, not both");
  if (action === "purge" && values.before === undefined) throw new UsageError("outbox purge needs --before <time>");
  const before = values.before === undefined ? undefined : timeArgument(values.before, "--before", now());

  // Arguments are checked before the store (and its driver) is loaded.
  let store: OutboxStore | undefined;
  try {
    store = await openOutboxArgument(url);
    switch (action) {
      case "status": {
        const counts = await store.counts(now());
        out(values.json ? `${JSON.stringify(counts)}\n` : formatCounts(counts, now()));
        return counts.dead > 0 ? 1 : 0;
      }
      case "list": {
        const intents = await store.list({
          ...(values.dead ? { status: "dead" as const } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
          limit,
          withBodies: values["with-bodies"] === true,
        });
        out(values.json ? `${intents.map((i) => JSON.stringify(i)).join("\n")}${intents.length ? "\n" : ""}` : formatList(intents));
        return 0;
      }
      case "replay": {
        const revived = await store.revive(positionals.length > 0 ? { ids: positionals } : { deadSince: since! }, now());
        out(`${revived} dead letter${revived === 1 ? "" : "s"} back in delivery (same idempotency keys)\n`);
        return revived > 0 ? 0 : 1;
      }
      default: {
        const purged = await store.purge({ before: before!, ...(values.dead ? { dead: true } : {}) });
        out(`${purged} intent${purged === 1 ? "" : "s"} purged\n`);
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // A store URL of an unknown kind is the caller's to fix, like any bad argument
    // (imported here: a mistyped flag is answered without loading the outbox).
    const { OutboxInputError } = await import("../outbox/errors.js");
    if (error instanceof OutboxInputError) throw new UsageError(error.message);
    const kind = (error as { kind?: unknown }).kind;
    process.stderr.write(`carewire: outbox ${action}: ${typeof kind === "string" ? `${kind}: ` : ""}${error instanceof Error ? error.message : String(error)}\n`);
    return 3;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/** An ISO date, epoch ms, or an age before now (`30m`, `24h`, `7d`). */
export function timeArgument(value: string, flag: string, now: number): number {
  const age = /^(\d+)(s|m|h|d)$/.exec(value);
  if (age) return now - Number(age[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as "s" | "m" | "h" | "d"];
  if (/^\d{10,}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed)) throw new UsageError(`${flag} needs an ISO date or an age such as 30m, 24h, 7d, got "${value.slice(0, 60)}"`);
  return parsed;
}

function wholeNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_LIMIT) throw new UsageError(`${flag} needs a whole number from 1 to ${MAX_LIMIT}, got "${value}"`);
  return n;
}

function formatCounts(c: OutboxCounts, now: number): string {
  const oldest = c.oldestPendingAt === undefined ? "-" : `${Math.round((now - c.oldestPendingAt) / 1000)} s ago`;
  return [
    `pending    ${c.pending}  (due now ${c.due}, being delivered ${c.leased})`,
    `committed  ${c.committed}`,
    `dead       ${c.dead}`,
    `oldest pending enqueued ${oldest}`,
    "",
  ].join("\n");
}

function formatList(intents: readonly IntentSummary[]): string {
  if (intents.length === 0) return "no intents\n";
  const rows = intents.map((i) => [i.id, i.status, i.operation, i.tenant ?? "-", String(i.deliveries), new Date(i.updatedAt).toISOString(), i.dead ? `${i.dead.reason}: ${i.dead.errorKind}${i.dead.status ? ` ${i.dead.status}` : ""}` : (i.history.at(-1)?.reason ?? "")]);
  const header = ["id", "status", "operation", "tenant", "deliveries", "updated", "why"];
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
