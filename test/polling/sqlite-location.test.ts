/**
 * Every SQLite store takes its file the same way: `{ path }`, as the outbox and the webhook
 * inbox do, or the path alone; anything else is refused with the store's own typed error.
 */
import { describe, expect, it } from "@jest/globals";
import { sqliteSubscriptionCheckpoint, SubscriptionCheckpointError } from "carewire/fhir";
import { PollCheckpointError, sqlitePollCheckpointStore } from "carewire/polling";
import { tempDirForFile } from "../helpers/temp-dir.js";

const tmp = tempDirForFile("sqlite-location");

describe("a SQLite checkpoint store's file", () => {
  it("is taken as { path } or as the path, and both open the same file", async () => {
    const byPath = sqlitePollCheckpointStore(tmp("poll.db"));
    await byPath.save("target", { lastUpdated: "2030-01-15T10:24:00Z", etag: "W/\"3\"" });
    await byPath.close();
    const byObject = sqlitePollCheckpointStore({ path: tmp("poll.db") });
    expect(await byObject.load("target")).toEqual({ lastUpdated: "2030-01-15T10:24:00Z", etag: "W/\"3\"" });
    await byObject.close();

    const positions = sqliteSubscriptionCheckpoint({ path: tmp("subscriptions.db") });
    await positions.close();
  });

  it.each([undefined, "", {}, { path: 3 }])("refuses %p with the store's typed error", (location) => {
    expect(() => sqlitePollCheckpointStore(location as never)).toThrow(PollCheckpointError);
    expect(() => sqliteSubscriptionCheckpoint(location as never)).toThrow(SubscriptionCheckpointError);
  });
});
