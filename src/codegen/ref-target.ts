/**
 * What a local `$ref` points at, read from its pointer alone: the OpenAPI document's shape says
 * what each step reaches (`/paths/{path}/{method}/responses/{code}` is a response, anything
 * under a `schema` is a schema), so no document is needed to tell a schema from a parameter.
 */
import { unescapePointerSegment } from "./json.js";
import { escapePointerSegment } from "./spec-error.js";
import { HTTP_METHODS } from "../runtime/core/operation.js";

export type RefTargetKind =
  | "document"
  | "components"
  | "pathMap"
  | "pathItem"
  | "operation"
  | "parameterList"
  | "parameterMap"
  | "parameter"
  | "requestBodyMap"
  | "requestBody"
  | "responseMap"
  | "response"
  | "headerMap"
  | "header"
  | "contentMap"
  | "mediaType"
  | "encodingMap"
  | "encoding"
  | "callbackMap"
  | "callback"
  | "schemaMap"
  | "schema";


/** Where each key leads from each kind of object; `*` stands for any key of a map or list. */
const STEPS: Record<RefTargetKind, Readonly<Record<string, RefTargetKind>>> = {
  document: { paths: "pathMap", webhooks: "pathMap", components: "components" },
  components: {
    schemas: "schemaMap",
    responses: "responseMap",
    parameters: "parameterMap",
    requestBodies: "requestBodyMap",
    headers: "headerMap",
    pathItems: "pathMap",
    callbacks: "callbackMap",
  },
  pathMap: { "*": "pathItem" },
  pathItem: { parameters: "parameterList", ...Object.fromEntries(HTTP_METHODS.map((m) => [m, "operation"])) },
  operation: { parameters: "parameterList", requestBody: "requestBody", responses: "responseMap", callbacks: "callbackMap" },
  parameterList: { "*": "parameter" },
  parameterMap: { "*": "parameter" },
  parameter: { schema: "schema", content: "contentMap" },
  requestBodyMap: { "*": "requestBody" },
  requestBody: { content: "contentMap" },
  responseMap: { "*": "response" },
  response: { headers: "headerMap", content: "contentMap" },
  headerMap: { "*": "header" },
  header: { schema: "schema", content: "contentMap" },
  contentMap: { "*": "mediaType" },
  mediaType: { schema: "schema", encoding: "encodingMap" },
  encodingMap: { "*": "encoding" },
  encoding: { headers: "headerMap" },
  callbackMap: { "*": "callback" },
  callback: { "*": "pathItem" },
  schemaMap: { "*": "schema" },
  // Anything inside a schema is taken for a schema (`properties/x`, `items`, `allOf/0`, `$defs/y`).
  schema: { "*": "schema" },
};

/** The kinds openapi-typescript names under `components`, and the section each goes to. */
export const COMPONENT_SECTIONS: Readonly<Partial<Record<RefTargetKind, string>>> = {
  schema: "schemas",
  parameter: "parameters",
  response: "responses",
  requestBody: "requestBodies",
  header: "headers",
};

export interface RefTarget {
  /** The pointer's segments, unescaped (`~1`, `~0` and percent-encoding undone). */
  readonly segments: readonly string[];
  /** What each prefix reaches: `kinds[i]` for `segments.slice(0, i)`, so `kinds[segments.length]` is the target's. */
  readonly kinds: readonly RefTargetKind[];
  /** The ref written one way only (see refTo), to tell two spellings of one target from two targets. */
  readonly pointer: string;
}

/** The target of a local ref, or undefined when the ref is not local or its pointer leads nowhere OpenAPI names. */
export function refTarget(ref: string): RefTarget | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let segments: string[];
  try {
    segments = ref.slice(2).split("/").map((raw) => unescapePointerSegment(decodeURIComponent(raw)));
  } catch {
    // Malformed percent-encoding: not a pointer this can read.
    return undefined;
  }
  const kinds: RefTargetKind[] = ["document"];
  for (const segment of segments) {
    const steps = STEPS[kinds[kinds.length - 1]!];
    const next = Object.hasOwn(steps, segment) ? steps[segment] : steps["*"];
    if (next === undefined) return undefined;
    kinds.push(next);
  }
  return { segments, kinds, pointer: refTo(segments) };
}

/** A local ref to unescaped segments: `~` and `/` escaped, then anything a URI fragment cannot hold percent-encoded. */
export function refTo(segments: readonly string[]): string {
  return `#/${segments.map((segment) => encodeURIComponent(escapePointerSegment(segment))).join("/")}`;
}

/** The prefix of `target` that is `length` segments long. */
export function targetPrefix(target: RefTarget, length: number): RefTarget {
  const segments = target.segments.slice(0, length);
  return { segments, kinds: target.kinds.slice(0, length + 1), pointer: refTo(segments) };
}

export function targetKind(target: RefTarget): RefTargetKind {
  return target.kinds[target.segments.length]!;
}


