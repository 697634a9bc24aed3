/**
 * One contract, every subscription position store: memory, SQLite in a temp file, and a
 * real PostgreSQL. `another()` is a second instance of the app on the same data.
 */
import { describe, expect, it } from "@jest/globals";
import { memorySubscriptionCheckpoint, postgresSubscriptionCheckpoint, SubscriptionCheckpointError, sqliteSubscriptionCheckpoint, type SubscriptionCheckpointStore } from "carewire/fhir";
import { postgresForFile } from "../../helpers/postgres-for-file.js";
import { eachOpens, oneObject, storesForFile } from "../../helpers/store-fleets.js";

const postgres = postgresForFile("subscriptions");
const { keep, file: newFile } = storesForFile<SubscriptionCheckpointStore>("subscription-contract");

const backends = [
  ["memory", () => oneObject(keep(memorySubscriptionCheckpoint()))],
  [
    "sqlite",
    () => {
      const file = newFile("positions");
      return eachOpens(() => keep(sqliteSubscriptionCheckpoint(file)));
    },
  ],
  [
    "postgres",
    () => {
      const schema = postgres.schema();
      return eachOpens(() => keep(postgresSubscriptionCheckpoint({ connectionString: postgres.url, schema })));
    },
  ],
] as const;

describe.each(backends)("%s subscription checkpoint", (_name, make) => {
  it("knows nothing of a subscription it never saw", async () => {
    const { store } = make();
    expect(await store.load("https://fhir.example/Subscription/a")).toBeUndefined();
  });

  it("gives back the last position saved, with its timestamp, to another instance", async () => {
    const { store, another } = make();
    await store.save("sub-a", { eventNumber: 3, timestamp: "2026-11-30T08:00:00.000Z" });
    await store.save("sub-a", { eventNumber: 9, timestamp: "2026-11-30T08:00:05.000Z" });
    await store.save("sub-b", { eventNumber: 1 });
    expect(await another().load("sub-a")).toEqual({ eventNumber: 9, timestamp: "2026-11-30T08:00:05.000Z" });
    expect(await another().load("sub-b")).toEqual({ eventNumber: 1 });
  });

  it("never moves a position back (an instance that lags keeps the furthest one)", async () => {
    const { store, another } = make();
    await store.save("sub-a", { eventNumber: 12, timestamp: "2026-11-30T08:00:12.000Z" });
    await another().save("sub-a", { eventNumber: 7, timestamp: "2026-11-30T08:00:07.000Z" });
    expect(await store.load("sub-a")).toEqual({ eventNumber: 12, timestamp: "2026-11-30T08:00:12.000Z" });
  });

  it("records a search catch-up's progress at the same event number", async () => {
    const { store, another } = make();
    await store.save("sub-a", { eventNumber: 5, timestamp: "2026-11-30T08:00:00.000Z" });
    await store.save("sub-a", { eventNumber: 5, timestamp: "2026-11-30T08:00:03.000Z" });
    expect(await another().load("sub-a")).toEqual({ eventNumber: 5, timestamp: "2026-11-30T08:00:03.000Z" });
  });

  it("keeps event numbers past 2^32", async () => {
    const { store, another } = make();
    await store.save("sub-a", { eventNumber: 2 ** 40 });
    expect((await another().load("sub-a"))?.eventNumber).toBe(2 ** 40);
  });

  it("refuses a negative or fractional event number with a typed error and keeps what it had", async () => {
    const { store } = make();
    await store.save("sub-a", { eventNumber: 4 });
    await expect(store.save("sub-a", { eventNumber: -1 })).rejects.toBeInstanceOf(SubscriptionCheckpointError);
    await expect(store.save("sub-a", { eventNumber: 4.5 })).rejects.toBeInstanceOf(SubscriptionCheckpointError);
    expect(await store.load("sub-a")).toEqual({ eventNumber: 4 });
  });
});
