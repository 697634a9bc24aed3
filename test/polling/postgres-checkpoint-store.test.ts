/**
 * What only the PostgreSQL checkpoint store promises, beyond the shared contract: instances
 * of an app starting at once on an empty schema all create the table and save, none fails.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { postgresPollCheckpointStore, type PollCheckpointStore } from "../../src/polling/index.js";
import { postgresForFile } from "../helpers/postgres-for-file.js";

const postgres = postgresForFile("pollpg");
const opened: PollCheckpointStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

describe("postgres poll checkpoint store", () => {
  it("creates its table once when several instances start on an empty schema at once", async () => {
    for (let round = 0; round < 3; round++) {
      const schema = postgres.schema();
      const stores = Array.from({ length: 8 }, () => postgresPollCheckpointStore({ connectionString: postgres.url }, { schema }));
      opened.push(...stores);
      await Promise.all(stores.map((store, i) => store.save(`k${i}`, { etag: `W/"${i}"` })));
      expect(await stores[0]!.load("k7")).toEqual({ etag: 'W/"7"' });
    }
  }, 30_000);
});
