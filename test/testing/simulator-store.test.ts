/**
 * The simulator's resource store fills a collection the first time it is used (the spec's
 * examples are seeded that way, not all at start-up), again after a reset, and the filling
 * is never reported as a change.
 */
import { describe, expect, it } from "@jest/globals";
import { ObservedResourceStore, type ResourceChange } from "../../src/testing/simulator/webhook-store.js";

function seededStore(): { store: ObservedResourceStore; fills: string[]; changes: ResourceChange[] } {
  const store = new ObservedResourceStore();
  const fills: string[] = [];
  const changes: ResourceChange[] = [];
  store.observe((change) => changes.push(change));
  store.fillOnFirstUse((collection) =>
    store.quietly(() => {
      fills.push(collection);
      store.put(collection, "example", { id: "example" });
    }),
  );
  return { store, fills, changes };
}

describe("a collection filled on first use", () => {
  it("fills once per collection, whichever use comes first", () => {
    const { store, fills } = seededStore();
    expect(fills).toEqual([]);
    expect(store.has("/tasks")).toBe(true);
    expect(store.list("/tasks")).toEqual([{ id: "example" }]);
    expect(store.get("/projects", "example")).toEqual({ id: "example" });
    expect(store.delete("/tasks", "example")).toBe(true);
    expect(store.get("/tasks", "example")).toBeUndefined();
    expect(fills).toEqual(["/tasks", "/projects"]);
  });

  it("fills again after a reset", () => {
    const { store, fills } = seededStore();
    store.delete("/tasks", "example");
    store.reset();
    expect(store.get("/tasks", "example")).toEqual({ id: "example" });
    expect(fills).toEqual(["/tasks", "/tasks"]);
  });

  it("reports the client's change and not the fill that ran inside it", () => {
    const { store, changes } = seededStore();
    store.put("/tasks", "t-1", { id: "t-1" });
    store.delete("/tasks", "example");
    expect(changes).toEqual([
      { action: "created", collection: "/tasks", id: "t-1" },
      { action: "deleted", collection: "/tasks", id: "example" },
    ]);
  });

  it("a quiet stretch inside another stays quiet to its end", () => {
    const { store, changes } = seededStore();
    store.quietly(() => {
      store.put("/projects", "p-1", { id: "p-1" });
      store.put("/projects", "p-2", { id: "p-2" });
    });
    expect(changes).toEqual([]);
  });
});
