/**
 * The resources a spec describes, as the spec shapes them: which collection creates them,
 * which item path addresses them, the property that holds their id (`id`, `gid`, `sid`…)
 * and the envelope their responses wrap them in (`{ data: {…} }`). The stateful simulator
 * keeps one story per resource found here; operations on anything else are sampled.
 */
import { HINT_KEYS } from "../../codegen/hints.js";
import { deref, isObject, type JsonObject } from "../../codegen/json.js";
import { shapeOf, type ObjectShape } from "./drift.js";
import type { Route, SpecModel } from "./spec-model.js";
import { valueAt } from "../../runtime/pagination/body-path.js";

/** The hint that names a resource's id property where the spec's names do not tell. */
const ID_HINT = HINT_KEYS.id;

export interface ResourceShape {
  /** Path template of the collection (`/tasks`), the store's key. */
  readonly collection: string;
  /** Path template of one item (`/tasks/{task_gid}`). */
  readonly itemPath: string;
  readonly idParam: string;
  readonly idProperty: string;
  readonly idSchema: JsonObject | undefined;
  /** Keys from a response body down to the resource (`["data"]`, or none). */
  readonly envelope: readonly string[];
  /** The resource's own schema in the create response. */
  readonly schema: unknown;
  /**
   * The resource's schema in its item read's response, where it has one: a create may answer
   * less than the resource holds (Getty's answers `{ id }`, its read the whole board).
   */
  readonly readSchema: unknown;
}

export type ResourceRole = "create" | "list" | "item";

const COMMON_IDS = ["id", "gid", "sid", "uuid"];

export class ResourceCatalog {
  readonly shapes: ResourceShape[] = [];
  // Asked on every request: answered once per route.
  private readonly roles = new WeakMap<Route, { shape: ResourceShape; role: ResourceRole } | null>();
  private readonly parents = new WeakMap<Route, Array<{ shape: ResourceShape; paramIndex: number }>>();

  constructor(private readonly model: SpecModel) {
    const paths = new Set(model.documentOrder.map((r) => r.op.path));
    for (const route of model.documentOrder) {
      if (route.op.method !== "post") continue;
      const { stem, ext } = splitExtension(route.op.path);
      if (/\}$/.test(stem)) continue;
      const item = new RegExp(`^${escape(stem)}/\\{[^{}/]+\\}${escape(ext)}$`);
      const itemPath = [...paths].find((p) => p.startsWith(`${stem}/{`) && item.test(p));
      if (itemPath === undefined || this.shapes.some((s) => s.collection === route.op.path)) continue;
      const idParam = /\{([^{}]+)\}[^{}]*$/.exec(itemPath)![1]!;
      const itemGet = model.documentOrder.find((r) => r.op.path === itemPath && r.op.method === "get");
      const located = this.locate(route, idParam) ?? (itemGet ? this.locate(itemGet, idParam) : undefined);
      if (!located) continue;
      const readSchema = itemGet ? schemaAt(model.mediaSchema(itemGet, model.successStatus(itemGet)), located.envelope, model.doc) : undefined;
      this.shapes.push({ collection: route.op.path, itemPath, idParam, ...located, readSchema });
    }
    // Deepest item paths first, so a nested resource is found before its parent.
    this.shapes.sort((a, b) => b.itemPath.length - a.itemPath.length);
  }

  /** The resource a route works on and how, or undefined for a route the simulator only samples. */
  roleOf(route: Route): { shape: ResourceShape; role: ResourceRole } | undefined {
    let found = this.roles.get(route);
    if (found === undefined) this.roles.set(route, (found = this.findRole(route) ?? null));
    return found ?? undefined;
  }

  private findRole(route: Route): { shape: ResourceShape; role: ResourceRole } | undefined {
    const path = route.op.path;
    for (const shape of this.shapes) {
      if (path === shape.collection) {
        if (route.op.method === "post") return { shape, role: "create" };
        if (route.op.method === "get") return { shape, role: "list" };
      }
      if (path === shape.itemPath) return { shape, role: "item" };
    }
    return undefined;
  }

  /**
   * Every resource whose item the route sits under, with the index of the path parameter
   * that carries its id (`/Calls/{CallSid}/Recordings.json` is under `/Calls/{Sid}.json`).
   */
  parentsOf(route: Route): Array<{ shape: ResourceShape; paramIndex: number }> {
    const cached = this.parents.get(route);
    if (cached) return cached;
    const path = anonymous(route.op.path);
    const found = this.shapes
      .filter((s) => s.itemPath !== route.op.path && path.startsWith(`${anonymous(splitExtension(s.itemPath).stem)}/`))
      .map((shape) => ({ shape, paramIndex: (shape.itemPath.match(/\{/g) ?? []).length - 1 }));
    this.parents.set(route, found);
    return found;
  }

  /**
   * The id a create's response body gives its new resource (`data.gid`, `sid`…), as a
   * client must send it back in the item path; undefined for any other route.
   */
  createdIdOf(route: Route, body: unknown): string | undefined {
    const found = this.roleOf(route);
    if (found?.role !== "create") return undefined;
    const node = valueAt(body, found.shape.envelope);
    const id = isObject(node) ? node[found.shape.idProperty] : undefined;
    return typeof id === "string" || typeof id === "number" ? String(id) : undefined;
  }

  /** The id property and envelope of a route's success response, if it holds a resource. */
  private locate(route: Route, idParam: string): Pick<ResourceShape, "idProperty" | "idSchema" | "envelope" | "schema"> | undefined {
    const status = this.model.successStatus(route);
    const schema = this.model.mediaSchema(route, status);
    const hint = typeof route.entry.operation[ID_HINT] === "string" ? (route.entry.operation[ID_HINT] as string) : undefined;
    const top = shapeOf(this.model.doc, schema);
    if (!top) return undefined;
    const named = collectionNames(route.op.path);
    const direct = idPropertyOf(this.model.doc, schema, top, idParam, hint, named);
    if (direct) return { ...direct, envelope: [], schema };
    // Hetzner's `POST /servers` answers `{ action, server }`: the property named after the
    // collection is the resource, whatever comes first (the action has an id too).
    const wrappers = Object.entries(top.properties).sort(([a], [b]) => Number(!named.has(normalName(a))) - Number(!named.has(normalName(b))));
    for (const [key, value] of wrappers) {
      const inner = shapeOf(this.model.doc, value);
      const found = inner && idPropertyOf(this.model.doc, value, inner, idParam, hint, named);
      if (found) return { ...found, envelope: [key], schema: value };
    }
    return undefined;
  }
}

/**
 * Which property is the id: the `x-carewire-id` hint, else the property the item path's
 * parameter names (`Sid` → `sid`, `task_gid` → `gid`, `issue_number` → `number`), else a
 * common id name (read-only ones first), else the resource's name with `id` after it
 * (`RecipeID`, `recipe_id` for `/recipe/{id}`).
 */
function idPropertyOf(doc: JsonObject, schema: unknown, shape: ObjectShape, idParam: string, operationHint: string | undefined, named: ReadonlySet<string>): { idProperty: string; idSchema: JsonObject | undefined } | undefined {
  const resolved = deref(doc, schema);
  const hint = operationHint ?? (isObject(resolved) && typeof resolved[ID_HINT] === "string" ? (resolved[ID_HINT] as string) : undefined);
  const names = Object.keys(shape.properties);
  const byName = (wanted: string) => names.find((n) => n.toLowerCase() === wanted.toLowerCase());
  const suffix = /(?:_|(?<=[a-z])(?=[A-Z]))([A-Za-z]+)$/.exec(idParam)?.[1];
  const common = [...COMMON_IDS.filter((n) => shape.properties[n]?.readOnly === true), ...COMMON_IDS];
  const candidates = [hint, idParam, suffix, ...common].filter((n): n is string => typeof n === "string");
  for (const candidate of candidates) {
    const name = byName(candidate);
    if (name !== undefined) return { idProperty: name, idSchema: shape.properties[name] };
  }
  const resourceId = names.find((n) => [...named].some((resource) => normalName(n) === `${resource}id`));
  return resourceId === undefined ? undefined : { idProperty: resourceId, idSchema: shape.properties[resourceId] };
}

/** The names a resource of the path's collection goes by: `/v1/servers/{id}` → servers, server. */
function collectionNames(path: string): ReadonlySet<string> {
  const segment = splitExtension(path).stem.split("/").filter((s) => s !== "" && !s.startsWith("{")).at(-1);
  if (segment === undefined) return new Set();
  const plural = normalName(segment);
  const singular = plural.endsWith("ies") ? `${plural.slice(0, -3)}y` : plural.endsWith("ses") || plural.endsWith("xes") ? plural.slice(0, -2) : plural.replace(/s$/, "");
  return new Set([plural, singular]);
}

/** A name compared without case, dashes or underscores (`ssh_key` = `sshKey` = `ssh-key`). */
function normalName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, "");
}

/** The schema an envelope path leads to. */
export function schemaAt(schema: unknown, envelope: readonly string[], doc: JsonObject): unknown {
  let node = schema;
  for (const key of envelope) node = shapeOf(doc, node)?.properties[key];
  return node;
}

/** `/Calls.json` → stem `/Calls`, extension `.json` (some providers end every path with one). */
export function splitExtension(path: string): { stem: string; ext: string } {
  // A trailing slash (`/app/` and `/app/{app_id}/`) ends a path as an extension does.
  const m = /^(.*?)(\.[A-Za-z]+|\/)$/.exec(path);
  return m ? { stem: m[1]!, ext: m[2]! } : { stem: path, ext: "" };
}

/** A path template with its parameter names left out, to compare templates that name them differently. */
function anonymous(path: string): string {
  return path.replace(/\{[^{}]+\}/g, "{}");
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
