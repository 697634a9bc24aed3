/**
 * `carewire outbox` against a real SQLite outbox file: status with exit codes an alert can
 * use, listings that keep payloads and error bodies out unless asked, replay by id or by
 * time with the intents' own keys, purge, and bad arguments answered before any store opens.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { access, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { HttpError } from "carewire";
import { FakeClock } from "carewire/testing";
import { createOutbox, type DeliveryResult } from "carewire/outbox";
import { sqliteOutboxStore } from "../../src/outbox/sqlite-outbox-store.js";
import { outboxCommand } from "../../src/cli/outbox-command.js";
import { UsageError } from "../../src/cli/usage-error.js";
import { childTestTimeout, runCli } from "../helpers/cli.js";

const NOW = Date.UTC(2030, 0, 1, 12);
let dir: string;
let file: string;
let deadId: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "carewire-outbox-cli-"));
  file = path.join(dir, "outbox.db");
  const clock = new FakeClock({ start: NOW - 3_600_000 });
  const answers: Array<() => DeliveryResult> = [
    () => ({ response: new Response(null, { status: 201 }) }),
    () => {
      const body = { detail: "Ada Lovelace: birthDate is in the future" };
      const response = new Response(JSON.stringify(body), { status: 422 });
      return { error: HttpError.from(422, body, response), response };
    },
  ];
  const outbox = createOutbox({ store: sqliteOutboxStore({ path: file }), provider: "clinic", clock, operations: { createPatient: async (_input: { name: string }) => answers.shift()!() } });
  await outbox.enqueue("createPatient", { name: "Grace Hopper" }, { tenant: "north" });
  deadId = (await outbox.enqueue("createPatient", { name: "Ada Lovelace" }, { tenant: "south" })).id;
  await outbox.worker({ concurrency: 1 }).drainDue();
  await outbox.enqueue("createPatient", { name: "Later" }, { notBefore: NOW + 3_600_000 });
  await outbox.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await outboxCommand(args, (text) => (out += text), () => NOW);
  return { code, out };
}

describe("carewire outbox", () => {
  it("status counts every state and exits 1 while there are dead letters", async () => {
    const text = await run("status", "--store", `sqlite:${file}`);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/pending\s+1 {2}\(due now 0, being delivered 0\)/);
    expect(text.out).toMatch(/committed\s+1/);
    expect(text.out).toMatch(/dead\s+1/);
    const json = await run("status", "--store", `sqlite:${file}`, "--json");
    expect(JSON.parse(json.out)).toMatchObject({ pending: 1, due: 0, committed: 1, dead: 1 });
  });

  it("lists dead letters with their reason and no payload or error body unless asked", async () => {
    const listed = await run("list", "--dead", "--store", `sqlite:${file}`);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(deadId);
    expect(listed.out).toContain("permanent: http 422");
    expect(listed.out).not.toMatch(/Ada|Lovelace/);
    const json = await run("list", "--dead", "--json", "--store", `sqlite:${file}`);
    expect(json.out).not.toMatch(/Ada|Lovelace/);
    const bodies = await run("list", "--dead", "--json", "--with-bodies", "--store", `sqlite:${file}`);
    const [intent] = bodies.out.trim().split("\n").map((line) => JSON.parse(line) as { input: unknown; dead: { body: unknown } });
    expect(intent!.input).toEqual({ name: "Ada Lovelace" });
    expect(intent!.dead.body).toEqual({ detail: "Ada Lovelace: birthDate is in the future" });
    const byTenant = await run("list", "--tenant", "north", "--json", "--store", `sqlite:${file}`);
    expect(byTenant.out.trim().split("\n")).toHaveLength(1);
  });

  it("replays dead letters by time (same keys), then status is clean; a replay that matches nothing exits 1", async () => {
    const [before] = await sqliteOutboxStore({ path: file }).get([deadId]);
    expect(await run("replay", "--dead", "--since", "2h", "--store", `sqlite:${file}`)).toEqual({ code: 0, out: "1 dead letter back in delivery (same idempotency keys)\n" });
    const store = sqliteOutboxStore({ path: file });
    const [after] = await store.get([deadId]);
    await store.close();
    expect(after).toMatchObject({ status: "pending", idempotencyKey: before!.idempotencyKey, notBefore: NOW });
    expect((await run("status", "--store", `sqlite:${file}`)).code).toBe(0);
    expect((await run("replay", "no-such-id", "--store", `sqlite:${file}`)).code).toBe(1);
  });

  it("purges committed history older than a time", async () => {
    expect(await run("purge", "--before", "10m", "--store", `sqlite:${file}`)).toEqual({ code: 0, out: "1 intent purged\n" });
    expect(JSON.parse((await run("status", "--json", "--store", `sqlite:${file}`)).out)).toMatchObject({ committed: 0, pending: 2 });
  });

  it("answers bad arguments before opening any store, and a store that cannot open with exit 3", async () => {
    for (const args of [["frobnicate"], ["status"], ["list", "--since", "yesterday", "--store", "sqlite:x.db"], ["replay", "--store", "sqlite:x.db"], ["purge", "--store", "sqlite:x.db"], ["list", "--limit", "0", "--store", "sqlite:x.db"], ["status", "--store", "mysql://db"]]) {
      await expect(run(...args)).rejects.toBeInstanceOf(UsageError);
    }
    const missing = await run("status", "--store", `sqlite:${path.join(dir, "no", "such", "dir", "x.db")}`);
    expect(missing.code).toBe(3);
    // A mistyped file name is not an empty, healthy outbox: nothing is created there.
    const said: string[] = [];
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation((text) => said.push(String(text)) > 0);
    let typo: { code: number };
    try {
      typo = await run("status", "--store", `sqlite:${path.join(dir, "outbx.db")}`);
    } finally {
      stderr.mockRestore();
    }
    expect(typo.code).toBe(3);
    expect(said.join("")).toContain("the file does not exist");
    await expect(access(path.join(dir, "outbx.db"))).rejects.toThrow();
  });

  it(
    "from a shell: exit codes 1 (dead letters), 2 (bad arguments)",
    async () => {
      const store = sqliteOutboxStore({ path: file });
      await store.close();
      const status = await runCli(["outbox", "status", "--json"], { env: { CAREWIRE_OUTBOX_URL: `sqlite:${file}` } });
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ pending: 2, dead: 0 });
      const bad = await runCli(["outbox", "list", "--since", "soon"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("outbox needs --store");
    },
    childTestTimeout(2),
  );
});
