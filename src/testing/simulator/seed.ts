/**
 * The resources the spec's own examples name exist from the start: a client that follows
 * the documentation (`GET /tasks/12345`, the id in the parameter's example) gets the
 * documented answer, while any other id is 404 until created. The ids are the values a
 * client builds from the spec (the parameter's example, else a sample that fits its schema).
 */
import { isObject, type JsonObject } from "../../codegen/json.js";
import type { ResourceCatalog, ResourceShape } from "./resources.js";
import type { Route, SpecModel } from "./spec-model.js";
import type { ResourceStoreView } from "./state.js";
import { valueAt } from "../../runtime/pagination/body-path.js";

/** Where a collection's example ids are written: a route and the path parameter that names the collection's item. */
export interface SeedTarget {
  readonly route: Route;
  readonly shape: ResourceShape;
  readonly param: string;
}

/** Each collection's seed targets, found without sampling anything (cheap on any spec). */
export function seedTargets(model: SpecModel, catalog: ResourceCatalog): Map<string, SeedTarget[]> {
  const byCollection = new Map<string, SeedTarget[]>();
  for (const route of model.documentOrder) {
    const own = catalog.roleOf(route);
    const targets: SeedTarget[] = catalog.parentsOf(route).map(({ shape, paramIndex }) => ({ route, shape, param: route.paramNames[paramIndex]! }));
    if (own?.role === "item") targets.push({ route, shape: own.shape, param: own.shape.idParam });
    for (const target of targets) {
      const list = byCollection.get(target.shape.collection) ?? [];
      list.push(target);
      byCollection.set(target.shape.collection, list);
    }
  }
  return byCollection;
}

/** Puts the example resource of one collection under each id the spec's examples give it. */
export function seedCollection(model: SpecModel, catalog: ResourceCatalog, store: ResourceStoreView, targets: readonly SeedTarget[]): void {
  for (const { route, shape, param } of targets) {
    const id = exampleId(model, route, param, shape.idSchema);
    if (id === undefined || store.get(shape.collection, String(id))) continue;
    const resource = exampleResource(model, catalog, shape);
    if (resource) store.put(shape.collection, String(id), { ...resource, [shape.idProperty]: id });
  }
}

function exampleId(model: SpecModel, route: Route, name: string, idSchema: JsonObject | undefined): string | number | undefined {
  const param = route.entry.parameterObjects.find((p) => p.name === name && p.in === "path");
  if (!param) return undefined;
  const value = model.parameterExample(param);
  if (value === undefined || value === null || typeof value === "object") return undefined;
  const numeric = isObject(idSchema) && (idSchema.type === "integer" || idSchema.type === "number");
  if (!numeric) return String(value);
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** The resource as the item's read (else the create) documents it, without its envelope. */
function exampleResource(model: SpecModel, catalog: ResourceCatalog, shape: ResourceShape): JsonObject | undefined {
  const read = model.documentOrder.find((r) => r.op.path === shape.itemPath && r.op.method === "get") ?? model.documentOrder.find((r) => r.op.path === shape.collection && r.op.method === "post");
  if (!read || catalog.roleOf(read) === undefined) return undefined;
  const node = valueAt(model.mediaSample(read, model.successStatus(read))?.body, shape.envelope);
  return isObject(node) ? structuredClone(node) : undefined;
}
