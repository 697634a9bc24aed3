/**
 * 10,000 customers in pages of 100 through the simulator over real HTTP, Stripe style
 * (`starting_after` + `has_more`), with a 429 (Retry-After: 2) and a connection reset on
 * the way: each page is an ordinary call, so the pipeline waits out the 429 and retries the
 * reset read, and every customer comes once, in order. Then the same paging killed midway
 * and resumed from a SQLite checkpoint in a new client. Waits run on a fake clock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { sqlitePagingCheckpoint, type Page } from "carewire";
import type { Simulator } from "carewire/testing";
import { expectedIds, idsOf, pagedSimulator, pagingOf } from "./paged-simulator.js";

const TOTAL = 10_000;
const PAGE = 100;
const ALL_IDS = expectedIds("listCustomers", TOTAL);

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await pagedSimulator({ listCustomers: TOTAL });
  dir = mkdtempSync(path.join(os.tmpdir(), "carewire-paging-"));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const none = (n: number) => Array.from({ length: n }, () => ({ kind: "none" as const }));
const customerRequests = () => sim.log.filter((e) => e.operationId === "listCustomers");

describe("10,000 items in pages of 100", () => {
  it("yields every item exactly once, in order, through a 429 with Retry-After and a connection reset", async () => {
    sim.reset();
    sim.faults.enqueue("listCustomers", [...none(30), { kind: "status", status: 429, retryAfter: 2 }, ...none(40), { kind: "reset-before" }]);
    const paging = await pagingOf(sim, "listCustomers");

    const ids = await idsOf(paging.all({}, { pageSize: PAGE }));

    expect(ids).toHaveLength(TOTAL);
    expect(ids).toEqual(ALL_IDS);
    const statuses = customerRequests().map((e) => e.status);
    // 100 pages answered 200, plus the 429 and the reset (no status), each followed by its retry.
    expect(statuses.filter((s) => s === 200)).toHaveLength(TOTAL / PAGE);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(customerRequests().filter((e) => e.fault === "reset-before")).toHaveLength(1);
    expect(statuses).toHaveLength(TOTAL / PAGE + 2);
  });

  it("each page carries its meta: the 429 page shows two attempts and the wait", async () => {
    sim.reset();
    sim.faults.enqueue("listCustomers", [...none(2), { kind: "status", status: 429, retryAfter: 2 }]);
    const paging = await pagingOf(sim, "listCustomers");
    const pages: Array<Page<unknown, unknown>> = [];
    for await (const page of paging.pages({}, { pageSize: PAGE })) {
      pages.push(page);
      if (pages.length === 4) break;
    }
    expect(pages.map((p) => p.number)).toEqual([1, 2, 3, 4]);
    expect(pages.map((p) => p.items.length)).toEqual([PAGE, PAGE, PAGE, PAGE]);
    expect(pages[2]!.meta.attempts.map((a) => a.status)).toEqual([429, 200]);
    expect(pages[2]!.meta.attempts[1]!.delayMs).toBeGreaterThanOrEqual(2_000);
  });

  it("resumes from a SQLite checkpoint after a crash at a page boundary: the union of both runs is every item once, in order", async () => {
    sim.reset();
    sim.faults.enqueue("listCustomers", [...none(10), { kind: "status", status: 429, retryAfter: 1 }, ...none(50), { kind: "reset-before" }]);
    const file = path.join(dir, "boundary.sqlite");
    const checkpoint = { name: "customers-sync", store: sqlitePagingCheckpoint(file) };
    const firstRun: string[] = [];
    const crash = new Error("the process died");
    await expect(
      (async () => {
        for await (const item of (await pagingOf(sim, "listCustomers")).all({}, { pageSize: PAGE, checkpoint })) {
          const id = String((item as { id: string }).id);
          // Dies on the first item of page 38, before it is handled.
          if (firstRun.length === 37 * PAGE) throw crash;
          firstRun.push(id);
        }
      })(),
    ).rejects.toBe(crash);
    checkpoint.store.close();

    // A new process: a new client and a new store on the same file.
    const reopened = { name: "customers-sync", store: sqlitePagingCheckpoint(file) };
    const secondRun = await idsOf((await pagingOf(sim, "listCustomers")).all({}, { pageSize: PAGE, checkpoint: reopened }));
    const saved = await reopened.store.load("customers-sync");
    reopened.store.close();

    expect(firstRun).toHaveLength(37 * PAGE);
    expect([...firstRun, ...secondRun]).toEqual(ALL_IDS);
    expect(saved).toMatchObject({ next: null, pagesRead: TOTAL / PAGE, itemsRead: TOTAL });
  });

  it("a crash in the middle of a page resumes at that page's start: only its items already handed over come again", async () => {
    sim.reset();
    const file = path.join(dir, "mid-page.sqlite");
    const checkpoint = { name: "customers-sync", store: sqlitePagingCheckpoint(file) };
    const firstRun: string[] = [];
    await expect(
      (async () => {
        for await (const item of (await pagingOf(sim, "listCustomers")).all({}, { pageSize: PAGE, checkpoint })) {
          if (firstRun.length === 37 * PAGE + 50) throw new Error("the process died");
          firstRun.push(String((item as { id: string }).id));
        }
      })(),
    ).rejects.toThrow("the process died");
    checkpoint.store.close();
    const reopened = { name: "customers-sync", store: sqlitePagingCheckpoint(file) };
    const secondRun = await idsOf((await pagingOf(sim, "listCustomers")).all({}, { pageSize: PAGE, checkpoint: reopened }));
    reopened.store.close();

    expect(secondRun).toEqual(ALL_IDS.slice(37 * PAGE));
    const union = new Set([...firstRun, ...secondRun]);
    expect([...union]).toEqual(ALL_IDS);
    // The 50 items of page 38 handed over before the crash, and nothing else, twice.
    expect(firstRun.length + secondRun.length - union.size).toBe(50);
  });
});
