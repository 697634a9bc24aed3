/**
 * The responses the simulator cannot make valid, found once at startup: each operation's
 * success body is sampled and repaired, and what still breaks its schema is reported by
 * schema path (one line however many operations share the schema), not at every request.
 * On a spec of a thousand operations this takes seconds, so it runs beside the server,
 * one operation per turn of the event loop; the samples it makes are the ones served later.
 * While requests are arriving it takes at most a quarter of the time: an operation's check
 * can compile schemas for tens of milliseconds, and the clients come first.
 */
import { statusKeyFor } from "../../runtime/wire/status-key.js";
import type { ResourceCatalog } from "./resources.js";
import type { Route, SpecModel } from "./spec-model.js";

export interface ResponseWarning {
  /** Where in the schema the rule is (`…/properties/url/pattern`). */
  readonly schemaPath: string;
  readonly message: string;
  /** The first operation whose body breaks it. */
  readonly operationId: string;
  readonly status: number;
  /** Where in that body (`body.data.url`). */
  readonly field: string;
}

/** While busy, the check rests three times as long as its last step took (never over a second). */
const REST_PER_STEP = 3;
const LONGEST_REST_MS = 1_000;

export interface ResponseCheckOptions {
  readonly catalog?: ResourceCatalog;
  readonly stopped?: () => boolean;
  readonly found?: (warning: ResponseWarning) => void;
  /** Whether the server is serving requests now. */
  readonly busy?: () => boolean;
}

export async function responseWarnings(model: SpecModel, options: ResponseCheckOptions = {}): Promise<ResponseWarning[]> {
  const bySchemaPath = new Map<string, ResponseWarning>();
  for (const warning of options.catalog ? undeclaredNotFound(model, options.catalog) : []) {
    bySchemaPath.set(warning.schemaPath, warning);
    options.found?.(warning);
  }
  let stepMs = 0;
  for (const route of model.documentOrder) {
    const rest = options.busy?.() ? Math.min(stepMs * REST_PER_STEP, LONGEST_REST_MS) : 0;
    await new Promise((resolve) => (rest > 0 ? setTimeout(resolve, rest) : setImmediate(resolve)));
    if (options.stopped?.()) break;
    const stepStarted = performance.now();
    checkRoute(model, route, bySchemaPath, options.found);
    stepMs = performance.now() - stepStarted;
  }
  return [...bySchemaPath.values()];
}

/** The warnings of one operation's success body not yet reported. */
function checkRoute(model: SpecModel, route: Route, bySchemaPath: Map<string, ResponseWarning>, found: ((warning: ResponseWarning) => void) | undefined): void {
  const status = model.successStatus(route);
  const sample = model.mediaSample(route, status);
  if (sample?.schema === undefined || sample.body === undefined || !/json/i.test(sample.contentType)) return;
  const declaredAt = `#/paths/${pointerSegment(route.op.path)}/${route.op.method}/responses/${statusKeyFor(status, Object.keys(route.op.responses)) ?? status}/content/${pointerSegment(sample.contentType)}/schema`;
  for (const error of model.validator.verboseErrors(sample.schema, sample.body)) {
    // Inside a named schema Ajv gives the path from the document's root; inside an inline one, from the response's schema.
    const schemaPath = error.schemaPath.startsWith("spec#") ? error.schemaPath.slice(4) : `${declaredAt}${error.schemaPath.slice(1)}`;
    const key = `${schemaPath} ${error.message ?? ""}`;
    // Extra fields are tolerated drift, not a broken body.
    if (error.keyword === "additionalProperties" || bySchemaPath.has(key)) continue;
    const warning: ResponseWarning = {
      schemaPath,
      message: error.message ?? "is invalid",
      operationId: route.op.operationId,
      status,
      field: `body${error.instancePath.replace(/\//g, ".")}`,
    };
    bySchemaPath.set(key, warning);
    found?.(warning);
  }
}

/**
 * With state, an id never created is 404 on every operation under its resource; where an
 * operation declares no 404 (nor a 4XX or default), that answer cannot match the spec.
 * One warning per resource, naming the first such operation.
 */
function undeclaredNotFound(model: SpecModel, catalog: ResourceCatalog): ResponseWarning[] {
  const out: ResponseWarning[] = [];
  for (const shape of catalog.shapes) {
    const affected = model.documentOrder.filter((route) => {
      const own = catalog.roleOf(route);
      const under = (own?.shape === shape && own.role === "item") || catalog.parentsOf(route).some((p) => p.shape === shape);
      return under && model.responseFor(route, 404) === undefined;
    });
    if (affected.length === 0) continue;
    const first = affected[0]!;
    out.push({
      schemaPath: `#/paths/${pointerSegment(shape.itemPath)}`,
      // Says what a reader can do about it: the simulator answers 404 all the same.
      message: `is answered for an id never created, and ${affected.length} operation(s) under this resource declare no 404, so that answer is not in the spec (declare a 404, 4XX or default response there to make it valid; the simulator answers 404 either way)`,
      operationId: first.op.operationId,
      status: 404,
      field: "status 404",
    });
  }
  return out;
}

function pointerSegment(text: string): string {
  return text.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function formatResponseWarning(warning: ResponseWarning): string {
  return `${warning.schemaPath}: ${warning.field} ${warning.message} (${warning.operationId} ${warning.status})`;
}
