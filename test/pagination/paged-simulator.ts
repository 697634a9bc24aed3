/**
 * The paged-provider fixture served by the simulator, with a collection filled in before the
 * first list call, and the paging functions of its operations over a client pipeline (the
 * same runtime a generated client hands its registry entries to).
 */
import path from "node:path";
import { createPipeline, pagingMethods, type ClientOptions, type OperationDescriptor, type PagingMethods } from "carewire";
import { FakeClock, startSimulator, type ResourceStoreView, type Simulator, type SimulatorOptions } from "carewire/testing";
import { buildRegistry } from "../../src/codegen/build-registry.js";
import { loadSpec } from "../../src/codegen/load-spec.js";
import { ROOT } from "../helpers/cli.js";

export const PAGED_SPEC = path.join(ROOT, "test/fixtures/specs/paging/paged-provider.yaml");

/** Collection (path template) and the item a list operation shows, by list operationId. */
const COLLECTIONS: Record<string, { readonly collection: string; readonly idProperty: string; readonly item: (n: number) => Record<string, unknown> }> = {
  listCustomers: { collection: "/v1/customers", idProperty: "id", item: (n) => ({ object: "customer", email: `c${n}@example.org` }) },
  listTasks: { collection: "/tasks", idProperty: "gid", item: (n) => ({ name: `task ${n}` }) },
  listInvoices: { collection: "/invoices", idProperty: "id", item: (n) => ({ number: n }) },
  listRepos: { collection: "/repos", idProperty: "id", item: (n) => ({ name: `repo-${n}` }) },
  listNotes: { collection: "/notes", idProperty: "id", item: (n) => ({ text: `note ${n}` }) },
};

/** The ids the simulator gives the `count` items of a list operation's collection, in order. */
export function expectedIds(operationId: string, count: number): string[] {
  const prefix = COLLECTIONS[operationId]!.collection.split("/").at(-1)!.slice(0, 3);
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

function fill(store: ResourceStoreView, operationId: string, count: number): void {
  const { collection, idProperty, item } = COLLECTIONS[operationId]!;
  if (store.has(collection)) return;
  for (let n = 1; n <= count; n++) {
    const id = String(store.nextId(collection, false));
    store.put(collection, id, { [idProperty]: id, ...item(n) });
  }
}

/** The simulator with `counts[operationId]` items in each list's collection. */
export function pagedSimulator(counts: Readonly<Record<string, number>>, options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  const handlers = Object.fromEntries(
    Object.entries(counts).map(([operationId, count]) => [
      operationId,
      (context: Parameters<NonNullable<SimulatorOptions["handlers"]>[string]>[0]) => {
        fill(context.store, operationId, count);
        return context.fallback();
      },
    ]),
  );
  return startSimulator({ spec: PAGED_SPEC, seedExamples: false, rateLimit: false, ...options, handlers });
}

let registry: Promise<Record<string, OperationDescriptor>> | undefined;

export function pagedOperations(): Promise<Record<string, OperationDescriptor>> {
  registry ??= loadSpec(PAGED_SPEC).then(({ document }) => Object.fromEntries(buildRegistry(document, PAGED_SPEC).map((e) => [e.descriptor.name, e.descriptor])));
  return registry;
}

/** The paging functions of `operationId` on a client of `sim`; waits cost no real time. */
export async function pagingOf(sim: Simulator, operationId: string, options: Partial<ClientOptions> = {}): Promise<PagingMethods> {
  const operation = (await pagedOperations())[operationId]!;
  const pipeline = createPipeline({ provider: "paged", baseUrl: sim.url, clock: new FakeClock({ autoAdvance: true }), random: () => 0.5, ...options });
  const methods = pagingMethods({ pipeline, baseUrl: sim.url }, operation, { responses: {} });
  if (methods === undefined) throw new Error(`${operationId} does not page`);
  return methods;
}

/** Every item's id, in the order the iterable gives them. */
export async function idsOf(iterable: AsyncIterable<unknown>, idProperty = "id"): Promise<string[]> {
  const ids: string[] = [];
  for await (const item of iterable) ids.push(String((item as Record<string, unknown>)[idProperty]));
  return ids;
}
