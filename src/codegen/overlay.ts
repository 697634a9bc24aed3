/**
 * OpenAPI Overlay 1.0: a separate document of actions applied to a vendor's spec before
 * codegen, so `x-carewire-*` hints (and any fix-up) live beside the spec instead of in it.
 *
 *   overlay: 1.0.0
 *   info: { title: Stripe hints, version: 1.0.0 }
 *   actions:
 *     - target: $.paths['/v1/charges'].post
 *       update: { x-carewire-idempotency: { header: Idempotency-Key } }
 *     - target: $.paths.*.*[?(@.deprecated == true)]
 *       remove: true
 *
 * Actions run in order, each on the document as the earlier ones left it. `update` merges
 * into each selected object (recursively; a nested array or scalar is replaced) or is
 * appended to each selected array; `remove` takes each selected node out of its parent.
 * A target that selects nothing is an error here (the standard lets it pass): a hint that
 * silently lands nowhere would quietly change what the runtime does.
 */
import { parseYaml } from "@redocly/openapi-core";
import { isObject, type JsonObject } from "./json.js";
import { JsonPathSyntaxError, parseJsonPath, queryJsonPath, type JsonPath, type JsonPathMatch } from "./jsonpath.js";
import { SpecError, pointerOf } from "./spec-error.js";

export interface OverlayAction {
  /** Position in the overlay's `actions`, for messages. */
  readonly index: number;
  readonly target: JsonPath;
  readonly description?: string;
  /** What to merge in; absent when the action removes. */
  readonly update?: unknown;
  readonly remove: boolean;
}

export interface Overlay {
  /** Where it came from, as the user named it (messages name it). */
  readonly file: string;
  readonly title: string;
  readonly version: string;
  readonly actions: readonly OverlayAction[];
}

const ACTION_KEYS = new Set(["target", "description", "update", "remove"]);

/** Parses overlay text (YAML or JSON) and validates it; errors name the file and the action. */
export function parseOverlayText(text: string, file: string): Overlay {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    // The spec loader's YAML parser (js-yaml): `reason` is the message alone, `mark` is 0-based.
    const e = error as { reason?: unknown; mark?: { line?: unknown; column?: unknown }; message?: string };
    const at = typeof e.mark?.line === "number" && typeof e.mark.column === "number" ? { line: e.mark.line + 1, col: e.mark.column + 1 } : undefined;
    const reason = typeof e.reason === "string" ? e.reason : (e.message ?? String(error)).split("\n")[0]!;
    throw new SpecError("overlay-invalid", file, `cannot parse: ${reason}`, at ? { line: at.line, column: at.col } : {});
  }
  return validateOverlay(raw, file);
}

export function validateOverlay(raw: unknown, file: string): Overlay {
  const bad = (reason: string, at: ReadonlyArray<string | number>): never => {
    throw new SpecError("overlay-invalid", file, reason, { pointer: pointerOf(at) });
  };
  if (!isObject(raw)) return bad("an overlay is a YAML or JSON object", []);
  if (typeof raw.overlay !== "string") return bad("no `overlay: 1.0.0` field: not an OpenAPI Overlay document", []);
  if (!/^1\.0\.\d+$/.test(raw.overlay)) return bad(`Overlay ${raw.overlay} is not supported (1.0.x is)`, ["overlay"]);
  const info = raw.info;
  if (!isObject(info) || typeof info.title !== "string" || typeof info.version !== "string") return bad("needs `info` with a string `title` and `version`", ["info"]);
  if (!Array.isArray(raw.actions) || raw.actions.length === 0) return bad("needs a non-empty `actions` list", ["actions"]);
  const actions = raw.actions.map((action: unknown, index): OverlayAction => {
    const at = ["actions", index];
    if (!isObject(action)) return bad(`action ${index} is not an object`, at);
    for (const key of Object.keys(action)) {
      if (!ACTION_KEYS.has(key) && !key.startsWith("x-")) bad(`action ${index} has an unknown field "${key}" (known: target, description, update, remove)`, [...at, key]);
    }
    if (typeof action.target !== "string") return bad(`action ${index} needs a string \`target\` (a JSONPath)`, [...at, "target"]);
    let target: JsonPath;
    try {
      target = parseJsonPath(action.target);
    } catch (error) {
      if (error instanceof JsonPathSyntaxError) return bad(`action ${index}: ${error.message}`, [...at, "target"]);
      throw error;
    }
    if (action.remove !== undefined && typeof action.remove !== "boolean") return bad(`action ${index}: \`remove\` is true or false`, [...at, "remove"]);
    const remove = action.remove === true;
    if (remove && action.update !== undefined) return bad(`action ${index} has both \`update\` and \`remove: true\`; split it in two`, at);
    if (!remove && action.update === undefined) return bad(`action ${index} needs \`update\` or \`remove: true\``, at);
    if (action.description !== undefined && typeof action.description !== "string") return bad(`action ${index}: \`description\` is a string`, [...at, "description"]);
    return {
      index,
      target,
      remove,
      ...(typeof action.description === "string" ? { description: action.description } : {}),
      ...(remove ? {} : { update: action.update }),
    };
  });
  return { file, title: info.title, version: info.version, actions };
}

/**
 * Applies the overlay's actions to `document` in place. `specFile` only names the spec in
 * messages.
 */
export function applyOverlay(document: JsonObject, overlay: Overlay, specFile: string): void {
  for (const action of overlay.actions) {
    const at = { pointer: pointerOf(["actions", action.index, "target"]) };
    const matches = queryJsonPath(document, action.target);
    if (matches.length === 0) {
      throw new SpecError("overlay-invalid", overlay.file, `action ${action.index}: target ${action.target.expression} selects nothing in ${specFile}`, at);
    }
    if (action.remove) removeAll(matches, overlay, action);
    else for (const match of matches) updateOne(match, action.update, overlay, action, specFile);
  }
}

function updateOne(match: JsonPathMatch, update: unknown, overlay: Overlay, action: OverlayAction, specFile: string): void {
  const target = match.value;
  if (Array.isArray(target)) {
    // Appended: an array update adds its items, anything else is one more item.
    for (const item of Array.isArray(update) ? update : [update]) target.push(structuredClone(item));
    return;
  }
  if (isObject(target) && isObject(update)) {
    mergeInto(target, update);
    return;
  }
  const what = isObject(target) ? `an object, and the update is not one` : `a ${target === null ? "null" : typeof target} (an update needs an object or an array)`;
  throw new SpecError("overlay-invalid", overlay.file, `action ${action.index}: target ${action.target.expression} selects ${pointerOf(match.path) || "the root"} of ${specFile}, ${what}`, {
    pointer: pointerOf(["actions", action.index, "update"]),
  });
}

/** Recursive merge: objects merge key by key, anything else (arrays included) replaces. */
function mergeInto(target: JsonObject, update: JsonObject): void {
  for (const [key, value] of Object.entries(update)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) mergeInto(existing, value);
    else target[key] = structuredClone(value);
  }
}

function removeAll(matches: readonly JsonPathMatch[], overlay: Overlay, action: OverlayAction): void {
  if (matches.some((m) => m.parent === undefined)) {
    throw new SpecError("overlay-invalid", overlay.file, `action ${action.index}: cannot remove the root of the document`, { pointer: pointerOf(["actions", action.index, "target"]) });
  }
  // Array elements go last-first so earlier indices stay valid; a node selected twice goes once.
  const ordered = [...matches].sort((a, b) => (typeof b.key === "number" ? b.key : -1) - (typeof a.key === "number" ? a.key : -1));
  const done = new Set<string>();
  for (const m of ordered) {
    const id = pointerOf(m.path);
    if (done.has(id)) continue;
    done.add(id);
    if (Array.isArray(m.parent)) m.parent.splice(m.key as number, 1);
    else delete (m.parent as JsonObject)[m.key as string];
  }
}
