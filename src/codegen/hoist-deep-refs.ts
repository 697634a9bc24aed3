/**
 * openapi-typescript writes a `$ref` as an indexed access that retraces its pointer, and only a
 * ref to a component itself (`#/components/schemas/Pet`) comes out right. A ref inside a
 * component schema (`#/components/schemas/Event/properties/attributes`) indexes through
 * optional properties, so its type includes `undefined` and stops compiling under `strict`; a
 * ref into an operation (`#/paths/~1register/post/responses/201/content/application~1json/
 * schema/properties/data`) or to the schema of a component response, parameter or request body
 * keeps a `["schema"]` step the types do not have, and a ref to a parameter in a path indexes
 * an optional group. Each such target is given a component of its own and the refs point
 * there, so the types name it directly. The spec's meaning is unchanged.
 */
import { isExampleKey, isObject, resolveSegments, type JsonObject } from "./json.js";
import { COMPONENT_SECTIONS, refTarget, refTo, targetKind, targetPrefix, type RefTarget } from "./ref-target.js";

const COMPONENT_REF = /^#\/components\/[^/]+\/[^/]+$/;

/** The target of a ref that is hoisted: a schema, parameter, response, request body or header that is not a component itself. */
function hoistedTarget(ref: string): RefTarget | undefined {
  // A component itself (`#/components/schemas/Pet`, as nearly every ref is) is told at a glance:
  // a large spec has tens of thousands.
  if (COMPONENT_REF.test(ref)) return undefined;
  const target = refTarget(ref);
  if (target === undefined || COMPONENT_SECTIONS[targetKind(target)] === undefined) return undefined;
  return target;
}

/** A ref whose target is hoisted to a component of its own. */
export function isDeepRef(ref: string): boolean {
  return hoistedTarget(ref) !== undefined;
}

/** A copy of the document with every deep ref pointing at a hoisted component of its own. */
export function hoistDeepRefs(document: JsonObject): JsonObject {
  const doc = structuredClone(document);
  const targets = new Set<string>();
  forEachRef(doc, (node) => {
    const target = hoistedTarget(node.$ref);
    if (target !== undefined) targets.add(target.pointer);
  });
  if (targets.size === 0) return doc;
  const hoisted = new Map<string, readonly string[]>();

  /** Where the component a target is copied to (once per target) sits; undefined when it cannot be. */
  const hoist = (target: RefTarget): readonly string[] | undefined => {
    const known = hoisted.get(target.pointer);
    if (known !== undefined) return known;
    // A boolean schema or a dangling pointer (which the loader reports) stays as it is.
    const value = resolveSegments(doc, target.segments);
    const section = COMPONENT_SECTIONS[targetKind(target)];
    const filed = section === undefined ? undefined : componentSection(doc, section);
    if (!isObject(value) || section === undefined || filed === undefined) return undefined;
    const base = componentName(doc, target);
    let name = base;
    for (let n = 2; Object.hasOwn(filed, name); n++) name = `${base}${n}`;
    // The copy may itself hold deep refs: they are rewritten by a later walk.
    filed[name] = structuredClone(value);
    const component = ["components", section, name];
    hoisted.set(target.pointer, component);
    return component;
  };

  /**
   * Where a ref points once its target is hoisted. A target inside another target is found
   * inside that one's copy (`…/ship/properties/cargo` in the copy of `…/ship`), so the names
   * follow each other; a later walk hoists it from there.
   */
  const rewrite = (target: RefTarget): string | undefined => {
    let length = 1;
    while (length < target.segments.length && !targets.has(targetPrefix(target, length).pointer)) length++;
    const component = hoist(targetPrefix(target, length));
    return component === undefined ? undefined : refTo([...component, ...target.segments.slice(length)]);
  };

  // Copies are walked by the next round (a walk sees an object's keys as they were when it got
  // there): loop until a round rewrites nothing.
  let rewritten = true;
  while (rewritten) {
    rewritten = false;
    forEachRef(doc, (node) => {
      const target = hoistedTarget(node.$ref);
      const ref = target === undefined ? undefined : rewrite(target);
      if (ref === undefined || ref === node.$ref) return;
      node.$ref = ref;
      rewritten = true;
    });
  }
  return doc;
}

/** `components[section]` of the document, made when the spec has none; undefined when the spec's is not an object. */
function componentSection(doc: JsonObject, section: string): JsonObject | undefined {
  doc.components ??= {};
  if (!isObject(doc.components)) return undefined;
  doc.components[section] ??= {};
  const filed = doc.components[section];
  return isObject(filed) ? filed : undefined;
}

/** Calls `visit` on every object holding a `$ref`, example values left out (they are data). */
function forEachRef(root: unknown, visit: (node: JsonObject & { $ref: string }) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    // Children are stacked last first, so refs are visited (and components named) in document order.
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
    } else if (isObject(node)) {
      if (typeof node.$ref === "string") visit(node as JsonObject & { $ref: string });
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) if (!isExampleKey(keys[i]!)) stack.push(node[keys[i]!]);
    }
  }
}

/**
 * A component name read from where the target sits: the component's or operation's name (its
 * operationId, else its path and method), a status code, a parameter's name, then the
 * properties down to it. `Event_attributes` for `#/components/schemas/Event/properties/
 * attributes`; `register_201_data_agent` for the `agent` property of the `data` property of
 * operation `register`'s 201 response.
 */
function componentName(doc: JsonObject, target: RefTarget): string {
  const parts: string[] = [];
  let node: unknown = doc;
  target.segments.forEach((segment, i) => {
    node = childOf(node, segment);
    switch (target.kinds[i]) {
      case "pathMap":
      case "callback":
        parts.push(pathWords(segment));
        break;
      case "pathItem":
        if (target.kinds[i + 1] !== "operation") break;
        // An operationId names the operation on its own: it stands for the path too.
        if (isObject(node) && typeof node.operationId === "string" && node.operationId !== "") parts.splice(-1, 1, node.operationId);
        else parts.push(segment);
        break;
      case "operation":
        if (segment === "requestBody") parts.push("body");
        break;
      case "parameterList":
        parts.push(isObject(node) && typeof node.name === "string" ? node.name : segment);
        break;
      case "schema":
        if (segment !== "properties") parts.push(segment);
        break;
      case "schemaMap":
      case "responseMap":
      case "parameterMap":
      case "requestBodyMap":
      case "headerMap":
      case "callbackMap":
      case "encodingMap":
        parts.push(segment);
        break;
      default:
        // Structure only (`components`, `content` and its media type, `schema`): no part of the name.
        break;
    }
  });
  const name = parts
    .filter((part) => part !== "")
    .map((part) => part.replace(/[^A-Za-z0-9_]/g, "_"))
    .join("_");
  return name === "" ? "Hoisted" : name;
}

/** `my_ships_shipSymbol` for `/my/ships/{shipSymbol}`. */
function pathWords(path: string): string {
  return path
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "")
    .join("_");
}

function childOf(node: unknown, key: string): unknown {
  if (Array.isArray(node)) return node[Number(key)];
  return isObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
}
