/**
 * What only the SQLite store promises, beyond the shared contract: an add that resolved is
 * on disk even if the process is killed right after, a file from a later schema is refused,
 * and a missing driver is named.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { OutboxDriverMissingError, OutboxStoreError } from "../../src/outbox/errors.js";
import { loadDriver } from "../../src/outbox/load-driver.js";
import { sqliteOutboxStore } from "../../src/outbox/sqlite-outbox-store.js";
import { CHILD_LIMIT_MS, ROOT, childTestTimeout, tsxArgs } from "../helpers/cli.js";

const T0 = 1_800_000_000_000;
const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-outbox-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sqlite outbox store", () => {
  it(
    "keeps every intent whose add resolved when the process is killed right after",
    async () => {
      const file = path.join(dir, "crash.db");
      const intents = 500;
      const child = spawn(process.execPath, tsxArgs(path.join(ROOT, "test/helpers/outbox-sqlite-child.ts"), [JSON.stringify({ path: file, intents, now: T0 })]), {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: "" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()));
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      let timer: NodeJS.Timeout | undefined;
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("\n")) resolve(out.trim());
        });
        child.once("exit", (code) => reject(new Error(`the child exited (${String(code)}) before it added; stderr:\n${stderr}`)));
        timer = setTimeout(() => reject(new Error(`the child did not add within ${CHILD_LIMIT_MS} ms; stderr:\n${stderr}`)), CHILD_LIMIT_MS);
      }).finally(() => clearTimeout(timer));
      child.kill("SIGKILL");
      await exited;
      expect(line).toBe(`added ${intents}`);

      const store = sqliteOutboxStore({ path: file });
      try {
        expect(await store.counts(T0)).toMatchObject({ pending: intents, due: intents });
        const got = await store.get(Array.from({ length: intents }, (_, i) => `crash-${i}`));
        expect(got).toHaveLength(intents);
        expect(got[intents - 1]!.input).toEqual({ slot: intents - 1 });
      } finally {
        await store.close();
      }
    },
    childTestTimeout(1),
  );

  it("refuses a file whose outbox tables a later version wrote", () => {
    const file = path.join(dir, "later.db");
    const db = new Database(file);
    db.pragma("user_version = 99");
    db.close();
    expect(() => sqliteOutboxStore({ path: file })).toThrow(OutboxStoreError);
  });

  it("refuses a path it cannot open with OutboxStoreError", () => {
    expect(() => sqliteOutboxStore({ path: path.join(dir, "no-such-dir", "x.db") })).toThrow(OutboxStoreError);
  });

  it("names the driver to install when it cannot be loaded", () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: "MODULE_NOT_FOUND" });
    };
    expect(() => loadDriver("better-sqlite3", missing)).toThrow(OutboxDriverMissingError);
    expect(() => loadDriver("pg", missing)).toThrow(/npm install pg@8/);
  });
});
