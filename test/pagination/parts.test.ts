/**
 * The small parts paging rests on: reading the `next` target of a Link header, and the
 * checkpoint stores keeping a position across a reopen (SQLite) or in memory, refusing a
 * damaged one rather than following it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { InvalidRequestError, memoryPagingCheckpoint, sqlitePagingCheckpoint, type PagingPosition } from "carewire";
import { nextLinkOf } from "../../src/runtime/pagination/link-header.js";
import { loadDriver } from "../../src/outbox/load-driver.js";
import type BetterSqlite3 from "better-sqlite3";

describe("Link header", () => {
  it.each([
    ['<https://api.example.com/x?page=2>; rel="next", <https://api.example.com/x?page=9>; rel="last"', "https://api.example.com/x?page=2"],
    ['<https://api.example.com/x?page=9>; rel="last", <https://api.example.com/x?page=2>; rel="next"', "https://api.example.com/x?page=2"],
    ['</x?page=3>; title="more"; rel="prev next"', "/x?page=3"],
    ["<https://api.example.com/x?a=1,2>; rel=next", "https://api.example.com/x?a=1,2"],
    ['<https://api.example.com/x?page=1>; rel="prev"', undefined],
    ['<https://api.example.com/x?page=2>; rel="nextish"', undefined],
    ["", undefined],
  ])("%s → %s", (header, next) => {
    expect(nextLinkOf(header)).toBe(next);
  });

  it("no header, no next", () => {
    expect(nextLinkOf(null)).toBeUndefined();
  });
});

describe("checkpoint stores", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-paging-parts-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const position: PagingPosition = { next: { kind: "query", query: { starting_after: "cus-200", limit: 100 } }, pagesRead: 2, itemsRead: 200, fingerprint: "f" };

  it("SQLite keeps positions by name across a reopen, and forgets one that is cleared", async () => {
    const file = path.join(dir, "positions.sqlite");
    const first = sqlitePagingCheckpoint(file);
    await first.save("customers", position);
    await first.save("invoices", { ...position, next: null });
    first.close();
    const again = sqlitePagingCheckpoint(file);
    expect(await again.load("customers")).toEqual(position);
    expect(await again.load("invoices")).toMatchObject({ next: null });
    await again.clear("customers");
    expect(await again.load("customers")).toBeUndefined();
    again.close();
  });

  it("a damaged SQLite position is refused with a typed error", async () => {
    const file = path.join(dir, "damaged.sqlite");
    sqlitePagingCheckpoint(file).close();
    const Driver = loadDriver<typeof BetterSqlite3>("better-sqlite3");
    const db = new Driver(file);
    db.prepare("INSERT INTO paging_positions (name, position) VALUES (?, ?)").run("broken", '{"next":{"kind":"link"},"pagesRead":1}');
    db.close();
    const store = sqlitePagingCheckpoint(file);
    await expect(store.load("broken")).rejects.toBeInstanceOf(InvalidRequestError);
    store.close();
  });

  it("a file that cannot be a database is a typed error, not a crash later", () => {
    expect(() => sqlitePagingCheckpoint(path.join(dir, "no-such-dir", "x.sqlite"))).toThrow(InvalidRequestError);
  });

  it("memory hands back copies: changing a loaded position changes nothing stored", async () => {
    const store = memoryPagingCheckpoint();
    await store.save("x", position);
    const loaded = (await store.load("x")) as { pagesRead: number };
    loaded.pagesRead = 99;
    expect(await store.load("x")).toEqual(position);
  });
});
