/**
 * Loads one OpenAPI 3.0/3.1 document (YAML or JSON) into a single in-memory
 * document whose every `$ref` is local.
 *
 * The spec may be a file or an http(s) URL (fetched with a deadline and a size bound; its
 * relative refs resolve against the URL), and OpenAPI Overlays may be applied to it first:
 * refs and versions are checked on the document as the overlays leave it.
 *
 * Parsing and bundling use @redocly/openapi-core (the same engine openapi-typescript
 * uses). Bundling only runs when the document has external refs: on a 13 MB spec it
 * costs about as much as everything else, and openapi-typescript bundles again anyway.
 */
import { access, constants, readFile } from "node:fs/promises";
import path from "node:path";
import { BaseResolver, bundle, createConfig, Source, type Document } from "@redocly/openapi-core";
import { BoundedResolver, DEFAULT_SPEC_FETCH_LIMITS, displayUrl, fetchSpecText, isHttpUrl, type SpecFetchLimits } from "./fetch-spec.js";
import { isDeepRef } from "./hoist-deep-refs.js";
import { isExampleKey, isObject, resolvePointer, type JsonObject } from "./json.js";
import { applyOverlay } from "./overlay.js";
import { readOverlay } from "./read-overlay.js";
import { SpecError, pointerOf } from "./spec-error.js";

export interface LoadedSpec {
  /** Path as the user gave it, for messages (a URL without credentials or query: displayUrl). */
  readonly file: string;
  readonly document: JsonObject;
  readonly openapiVersion: "3.0" | "3.1";
  /** True when external refs were pulled in. */
  readonly bundled: boolean;
  /**
   * True when a ref points at a schema (or parameter, response, request body, header) that is
   * not a component itself, inside a component or an operation: the types are generated from a
   * copy with those targets hoisted to components (hoist-deep-refs.ts).
   */
  readonly deepSchemaRefs: boolean;
}

export interface LoadSpecOptions {
  /** OpenAPI Overlay files (or URLs), applied in order before anything is checked. */
  readonly overlays?: readonly string[];
  /** For a spec, ref or overlay read over HTTP(S). */
  readonly fetchLimits?: SpecFetchLimits;
}

export async function loadSpec(location: string, options: LoadSpecOptions = {}): Promise<LoadedSpec> {
  const file = isHttpUrl(location) ? displayUrl(location) : location;
  const limits = options.fetchLimits ?? DEFAULT_SPEC_FETCH_LIMITS;
  const config = await createConfig({ rules: {} }, {});
  const resolver = new BoundedResolver(config.resolve, limits);
  let parsedDocument: Document;
  let absolute: string;
  if (isHttpUrl(location)) {
    const fetched = await fetchSpecText(location, limits);
    absolute = fetched.url;
    parsedDocument = parseFetched(resolver, new Source(absolute, fetched.text, fetched.mimeType), file);
  } else {
    absolute = path.resolve(location);
    try {
      await access(absolute, constants.R_OK);
    } catch {
      throw new SpecError("spec-unreadable", file, "file not found or not readable");
    }
    parsedDocument = (await parseJsonDocument(absolute)) ?? (await parseDocument(resolver, absolute, file));
  }
  const parsed: unknown = parsedDocument.parsed;
  if (!isObject(parsed)) {
    throw new SpecError("spec-invalid", file, "the document is not a JSON/YAML object", { pointer: "" });
  }
  for (const overlayFile of options.overlays ?? []) applyOverlay(parsed, await readOverlay(overlayFile, limits), file);
  const openapiVersion = checkVersion(parsed, file);

  const refs = collectRefs(parsed);
  const external = refs.filter((r) => !r.ref.startsWith("#"));
  for (const r of refs) {
    if (r.ref.startsWith("#") && resolvePointer(parsed, r.ref) === undefined) {
      throw new SpecError("spec-invalid", file, `$ref "${r.ref}" points to nothing`, { pointer: r.pointer });
    }
  }
  if (external.length === 0) {
    return { file, document: parsed, openapiVersion, bundled: false, deepSchemaRefs: refs.some((r) => isDeepRef(r.ref)) };
  }

  const result = await bundle({ config, dereference: false, doc: parsedDocument, externalRefResolver: resolver });
  const unresolved = result.problems.find((p) => p.severity === "error" || p.ruleId === "no-unresolved-refs");
  if (unresolved) {
    const location = unresolved.location[0];
    const where = location?.source.absoluteRef ?? absolute;
    throw new SpecError("spec-invalid", relativeToCwd(where), unresolved.message, {
      pointer: location?.pointer?.replace(/^#/, "") ?? "",
    });
  }
  // Bundling can leave refs that still dangle when the target file lacked the pointer.
  const bundledDoc: unknown = result.bundle.parsed;
  if (!isObject(bundledDoc)) throw new SpecError("spec-invalid", file, "bundling produced no document");
  const bundledRefs = collectRefs(bundledDoc);
  for (const r of bundledRefs) {
    if (!r.ref.startsWith("#") || resolvePointer(bundledDoc, r.ref) === undefined) {
      throw new SpecError("spec-invalid", file, `$ref "${r.ref}" could not be resolved`, { pointer: r.pointer });
    }
  }
  return { file, document: bundledDoc, openapiVersion, bundled: true, deepSchemaRefs: bundledRefs.some((r) => isDeepRef(r.ref)) };
}

/**
 * A `.json` spec read with JSON.parse: the general parser goes through YAML, several times
 * slower on a large document. Undefined when the text is not valid JSON, so the general
 * parser reports where it breaks.
 */
async function parseJsonDocument(absolute: string): Promise<Document | undefined> {
  if (!absolute.toLowerCase().endsWith(".json")) return undefined;
  const text = await readFile(absolute, "utf8");
  try {
    return { source: new Source(absolute, text, "application/json"), parsed: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** A fetched root document: JSON.parse when it is JSON (faster), the general parser otherwise. */
function parseFetched(resolver: BaseResolver, source: Source, file: string): Document {
  if (source.mimeType?.includes("json") === true || /^\s*[{[]/.test(source.body)) {
    try {
      return { source, parsed: JSON.parse(source.body) as unknown };
    } catch {
      // Not JSON after all: the general parser says where it breaks.
    }
  }
  try {
    return resolver.parseDocument(source, true);
  } catch (error) {
    throw syntaxError(error, file);
  }
}

async function parseDocument(resolver: BaseResolver, absolute: string, file: string): Promise<Document> {
  let result: Awaited<ReturnType<BaseResolver["resolveDocument"]>>;
  try {
    result = await resolver.resolveDocument(null, absolute, true);
  } catch (error) {
    throw syntaxError(error, file);
  }
  if ("parsed" in result) return result;
  throw syntaxError(result, file);
}

function syntaxError(error: unknown, file: string): SpecError {
  const e = error as { line?: number; col?: number; originalError?: { reason?: string; message?: string }; message?: string };
  const reason = e.originalError?.reason ?? e.originalError?.message ?? e.message ?? String(error);
  if (typeof e.line === "number") {
    return new SpecError("spec-syntax", file, `cannot parse: ${reason}`, { line: e.line, column: e.col ?? 1 });
  }
  return new SpecError("spec-syntax", file, `cannot parse: ${reason}`);
}

function checkVersion(doc: JsonObject, file: string): "3.0" | "3.1" {
  if (doc.swagger !== undefined) {
    throw new SpecError(
      "spec-unsupported",
      file,
      `Swagger ${String(doc.swagger)} is not supported: convert to OpenAPI 3 first (for instance with \`npx swagger2openapi\`)`,
      { pointer: "/swagger" },
    );
  }
  const version = typeof doc.openapi === "string" ? doc.openapi : undefined;
  if (version === undefined && doc.resourceType === "CapabilityStatement") {
    // Read from a URL (a server's /metadata, say): a CapabilityStatement is generated from a file.
    throw new SpecError("spec-unsupported", file, "a FHIR CapabilityStatement is read from a file: save it first (curl -H 'Accept: application/fhir+json' <url> > capability.json) and pass that file", { pointer: "/resourceType" });
  }
  if (version === undefined) {
    throw new SpecError("spec-unsupported", file, "no `openapi: 3.x` field: not an OpenAPI 3 document", { pointer: "" });
  }
  if (/^3\.0(\.|$)/.test(version)) return "3.0";
  if (/^3\.1(\.|$)/.test(version)) return "3.1";
  throw new SpecError("spec-unsupported", file, `OpenAPI ${version} is not supported (3.0 and 3.1 are)`, {
    pointer: "/openapi",
  });
}

interface RefSite {
  ref: string;
  pointer: string;
}

/** Every `$ref` in the tree with the pointer of the object holding it. Iterative: specs nest deep. */
function collectRefs(root: JsonObject): RefSite[] {
  // Paths are kept as parent links and only turned into pointers for refs: copying
  // a path array per node is the dominant cost on a 13 MB spec.
  interface Frame {
    node: unknown;
    key: string | number;
    parent: Frame | undefined;
  }
  const sites: RefSite[] = [];
  const stack: Frame[] = [{ node: root, key: "", parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const node = frame.node;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        if (typeof node[i] === "object" && node[i] !== null) stack.push({ node: node[i], key: i, parent: frame });
      }
    } else if (isObject(node)) {
      if (typeof node.$ref === "string") sites.push({ ref: node.$ref, pointer: framePointer(frame) });
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (isExampleKey(key)) continue;
        const child = node[key];
        if (typeof child === "object" && child !== null) stack.push({ node: child, key, parent: frame });
      }
    }
  }
  return sites;

  function framePointer(frame: Frame): string {
    const segments: Array<string | number> = [];
    for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) segments.push(f.key);
    return pointerOf(segments.reverse());
  }
}

function relativeToCwd(absolute: string): string {
  if (isHttpUrl(absolute)) return displayUrl(absolute);
  const rel = path.relative(process.cwd(), absolute);
  return rel.startsWith("..") ? absolute : rel;
}
