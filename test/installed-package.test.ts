/**
 * The same generated output works in a user's project that installs carewire:
 * build the package as published (dist/, bin/, templates/, package.json exports),
 * install it into a fresh app, run the `carewire` bin there, compile the app with
 * plain tsc (no source conditions, no path mapping) and run it against a real server.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ROOT, childTestTimeout, runNode } from "./helpers/cli.js";
import { json, startServer, type TestServer } from "./helpers/http-server.js";
import { STRICTEST_FLAGS } from "./helpers/strictest.js";

/** `node <args>` in `cwd`: exit code and everything it printed. */
async function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await runNode(args, { cwd, env });
  return { code, out: stdout + stderr };
}

/** The declaration files reachable from `entries` (by their relative imports) that import `packageName`. */
async function declarationsImporting(entries: readonly string[], packageName: string): Promise<string[]> {
  const seen = new Set<string>();
  const importing: string[] = [];
  const queue = [...entries];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, "utf8");
    for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
      if (specifier === packageName || specifier!.startsWith(`${packageName}/`)) importing.push(path.basename(file));
      else if (specifier!.startsWith(".")) queue.push(path.resolve(path.dirname(file), specifier!.replace(/\.js$/, ".d.ts")));
    }
  }
  return importing;
}

let tmp: string;
let server: TestServer;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-installed-"));
  server = await startServer((req, res) =>
    json(res, 200, { id: "pat-1", identifier: "MRN-1", givenName: "Ada", familyName: "Lovelace", birthDate: "1815-12-10", gender: "female", active: true, updatedAt: "2026-01-01T00:00:00Z", nickname: "Countess" }),
  );
});
afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("carewire installed in a user's project", () => {
  it("generates with the bin, compiles with plain tsc and calls the provider through the runtime", async () => {
    const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
    // 1. The package as npm would install it.
    const pkg = path.join(tmp, "app/node_modules/carewire");
    await mkdir(pkg, { recursive: true });
    for (const entry of ["package.json", "bin", "templates"]) await cp(path.join(ROOT, entry), path.join(pkg, entry), { recursive: true });
    await symlink(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"));
    const build = await run([tsc, "-p", path.join(ROOT, "tsconfig.build.json"), "--outDir", path.join(pkg, "dist")], ROOT);
    expect(build.out).toBe("");
    // The outbox's drivers are optional: its declarations must compile without their types.
    for (const file of (await readdir(path.join(pkg, "dist/outbox"))).filter((f) => f.endsWith(".d.ts"))) {
      expect([file, await readFile(path.join(pkg, "dist/outbox", file), "utf8")]).not.toEqual([file, expect.stringMatching(/from "(pg|better-sqlite3)"/)]);
    }
    // Nor do an app's types load ioredis's (and with them Node's) through any entry: the app's
    // own client is typed structurally, and only declarations no entry reaches name ioredis.
    const exported = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { exports: Record<string, { types?: string } | string> };
    const entries = Object.values(exported.exports).flatMap((target) => (typeof target === "object" && target.types ? [path.join(pkg, target.types)] : []));
    expect(await declarationsImporting(entries, "ioredis")).toEqual([]);

    // 2. The user's app: generate a client with the installed bin.
    const app = path.join(tmp, "app");
    await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "user-app", type: "module" }));
    const generated = await run(
      [path.join(pkg, "bin/carewire.js"), "generate", "--spec", path.join(ROOT, "specs/clinic/openapi.yaml"), "--out", "src/clinic", "--name", "clinic"],
      app,
    );
    expect(generated.out).toContain("clinic: 12 operations");
    expect(generated.code).toBe(0);
    expect(await readFile(path.join(app, "src/clinic/client.ts"), "utf8")).toContain('from "carewire"');

    await writeFile(
      path.join(app, "src/main.ts"),
      `import { createClinicClient } from "./clinic/index.js";
const client = createClinicClient({ baseUrl: process.env.CLINIC_URL! });
const result = await client.getPatient({ params: { path: { patientId: "pat-1" } } });
if (result.error) throw result.error;
console.log(JSON.stringify({ family: result.data.familyName, provider: result.meta.provider, drift: result.meta.drift.unknownFields }));
`,
    );
    // The outbox as an app uses it: typed from the generated client, SQLite in a file.
    await writeFile(
      path.join(app, "src/outbox.ts"),
      `import { createOutbox, operationsOf, sqliteOutboxStore } from "carewire/outbox";
import { createClinicClient } from "./clinic/index.js";
const client = createClinicClient({ baseUrl: process.env.CLINIC_URL! });
const outbox = createOutbox({ store: sqliteOutboxStore({ path: process.env.OUTBOX_FILE! }), provider: client.provider, operations: operationsOf(client) });
const patient = { identifier: "MRN-1", givenName: "Ada", familyName: "Lovelace", birthDate: "1815-12-10" };
const first = await outbox.enqueue("createPatient", { body: patient }, { businessKey: { mrn: "MRN-1" } });
const again = await outbox.enqueue("createPatient", { body: patient }, { businessKey: { mrn: "MRN-1" } });
// @ts-expect-error an operation the client does not have
const refused = await outbox.enqueue("createPatients", { body: patient }).then(() => "accepted", (error: { kind: string }) => error.kind);
const delivered = await outbox.worker().drainDue();
console.log(JSON.stringify({ refused, added: [first.added, again.added], sameKey: first.idempotencyKey === again.idempotencyKey, delivered, status: await outbox.status() }));
await outbox.close();
`,
    );
    await writeFile(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          ...STRICTEST_FLAGS,
          outDir: "out",
          rootDir: "src",
          skipLibCheck: true,
          lib: ["ES2023"],
          typeRoots: [path.join(ROOT, "node_modules/@types")],
          types: ["node"],
        },
        include: ["src"],
      }),
    );
    // 3. Plain tsc, resolving `carewire` through node_modules and the package's exports.
    const compiled = await run([tsc, "-p", app], app);
    expect(compiled.out).toBe("");

    // 4. Run it.
    const ran = await run([path.join(app, "out/main.js")], app, { CLINIC_URL: server.url });
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.out)).toEqual({ family: "Lovelace", provider: "clinic", drift: ["$.nickname"] });
    expect(server.requests.at(-1)!.url).toBe("/patients/pat-1");

    // 5. The outbox: one intent for a business key enqueued twice, delivered once with its key.
    const outboxRun = await run([path.join(app, "out/outbox.js")], app, { CLINIC_URL: server.url, OUTBOX_FILE: path.join(tmp, "outbox.db") });
    expect([outboxRun.code, outboxRun.code === 0 ? "" : outboxRun.out]).toEqual([0, ""]);
    const report = JSON.parse(outboxRun.out.trim().split("\n").at(-1)!) as { refused: string; added: boolean[]; sameKey: boolean; delivered: { committed: number }; status: { committed: number; pending: number } };
    expect(report).toMatchObject({ refused: "outbox-input", added: [true, false], sameKey: true, delivered: { committed: 1 }, status: { committed: 1, pending: 0 } });
    const posted = server.requests.filter((r) => r.method === "POST");
    expect(posted).toHaveLength(1);
    expect(posted[0]!.headers["idempotency-key"]).toMatch(/^cw1-[0-9a-f]{40}$/);
  }, childTestTimeout(5));
});
