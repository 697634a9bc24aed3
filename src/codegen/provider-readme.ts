/**
 * The README.md written beside each generated client: what the provider is, how to create
 * the client, every operation with its safety class, auth and policy hints, the quota and
 * retry settings the runtime applies, and one usage snippet per operation built from the
 * spec's examples (or sampled from its schemas). Only text is computed here; the layout is
 * `templates/provider-readme.md.hbs`. This file holds what both kinds share and the OpenAPI
 * view; a CapabilityStatement's is in fhir/fhir-readme.ts.
 *
 * Output must be byte-for-byte stable (it is committed and `generate --check` compares it):
 * everything comes from the document in document order, nothing from the clock or the host.
 */
import path from "node:path";
import { sample } from "openapi-sampler";
import { honoursIdempotencyKeys, type OperationDescriptor, type OperationHints } from "../runtime/core/operation.js";
import type { PaginationDescriptor } from "../runtime/pagination/descriptor.js";
import { DEFAULT_DEADLINE_MS, DEFAULT_TIMEOUT_MS } from "../runtime/core/options.js";
import { DEFAULT_BACKOFF, DEFAULT_RETRY_BUDGET } from "../runtime/policies/backoff.js";
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_AFTER_MS } from "../runtime/policies/retry.js";
import type { RegistryEntry } from "./build-registry.js";
import { readRootRateLimit } from "./hints.js";
import { fitExample } from "./fit-example.js";
import { deref, isObject, type JsonObject } from "./json.js";
import { pickJsonMediaType } from "./schema-emitter.js";
import { propertyKey, tsLiteral } from "./ts-literal.js";
import type { TemplateSet } from "./render.js";
import { pagingMethodNames } from "./pagination.js";
import { envPrefixOf, readmeBaseUrl, type ReadmeBaseUrl } from "./readme-base-url.js";

/** What both kinds of provider README know about where the client lives. */
export interface ReadmeTarget {
  readonly name: string;
  readonly outDir: string;
  /** PascalCase provider name, as in `create<TypeName>Client`. */
  readonly typeName: string;
}

/** Query parameter names that page a list: shown as the operation's pagination. */

/** The module specifier an app at the project root imports the client by. */
export function importPathOf(outDir: string): string {
  const relative = path.relative(process.cwd(), path.resolve(outDir)).split(path.sep).join("/");
  return `${relative.startsWith("./") || relative.startsWith("../") ? relative : `./${relative}`}/index.js`;
}

/** A camelCase variable name for the provider's client in snippets (`clinic`, `fhirR4`). */
export function clientVariable(typeName: string): string {
  const name = typeName.charAt(0).toLowerCase() + typeName.slice(1);
  return /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name) ? name : "client";
}

const RESERVED = new Set(["break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "let", "static", "await", "implements", "package", "protected", "interface", "private", "public"]);

/** Text that stays inside one Markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The retry, timeout and budget defaults every generated client starts with. */
export function retryDefaults(): string[] {
  return [
    `${DEFAULT_MAX_ATTEMPTS} attempts per call (the first included); answers of 429 do not count against them`,
    `backoff: ${DEFAULT_BACKOFF.strategy} jitter from ${DEFAULT_BACKOFF.baseMs} ms, doubling, capped at ${seconds(DEFAULT_BACKOFF.capMs)}; a server's \`Retry-After\` is honoured (never less, a little jitter above), up to ${seconds(DEFAULT_MAX_RETRY_AFTER_MS)}`,
    `retry budget: ${Math.round(DEFAULT_RETRY_BUDGET.ratio * 100)} % of recent requests plus ${DEFAULT_RETRY_BUDGET.floorPerSecond} per second, over ${seconds(DEFAULT_RETRY_BUDGET.windowMs)}`,
    `timeouts: ${seconds(DEFAULT_TIMEOUT_MS)} per attempt, ${seconds(DEFAULT_DEADLINE_MS)} per call (attempts and waits included)`,
    "a write (`unsafe`) is retried after a lost answer only when it is replay-safe: it carries an idempotency key the spec says the server honours (`x-carewire-idempotency`), or the call says `replaySafe`",
  ];
}

function rateLimitText(rate: NonNullable<OperationHints["rateLimit"]>): string {
  const parts: string[] = [];
  if (rate.limit !== undefined) parts.push(`${rate.limit} requests${rate.windowSeconds !== undefined ? ` per ${rate.windowSeconds} s` : ""}`);
  if (rate.scope !== undefined) parts.push(`per ${rate.scope}`);
  if (rate.algorithm !== undefined) parts.push(rate.algorithm);
  if (rate.bucket !== undefined) parts.push(`bucket \`${rate.bucket}\``);
  for (const [name, quota] of Object.entries(rate.quotas ?? {})) parts.push(`\`${name}\`: ${quota.limit} per ${quota.windowSeconds} s`);
  return parts.join(", ");
}

/** How an operation pages, and the functions that page it for you. */
function pagingPhrase(paging: PaginationDescriptor, name: string): string {
  const how =
    paging.style === "link"
      ? "the `Link` header"
      : paging.style === "next-url"
        ? `the next URL at \`${paging.url.join(".")}\``
        : `${paging.style === "page" ? "page number" : paging.style} \`${paging.param}\``;
  const { all, pages } = pagingMethodNames(name);
  return `pages by ${how}${paging.source === "detected" ? " (detected)" : ""}: \`${all}\`, \`${pages}\``;
}

/** The policy hints of one operation, as short phrases (the root quota is stated once, not per row). */
export function hintPhrases(descriptor: OperationDescriptor, rootRate: string | undefined, paging?: string): string[] {
  const { hints } = descriptor;
  const out: string[] = [];
  const pages = paging ?? (descriptor.pagination === undefined ? undefined : pagingPhrase(descriptor.pagination, descriptor.name));
  if (pages !== undefined) out.push(pages);
  if (hints.rateLimit !== undefined) {
    const own = rateLimitText(hints.rateLimit);
    if (own !== rootRate) out.push(`quota: ${own}`);
  }
  if (hints.cost !== undefined) out.push(`cost: ${Object.entries(hints.cost).map(([quota, units]) => `${units} ${quota}`).join(", ")}`);
  // A key the runtime never makes up (FHIR servers ignore one) is no hint to show.
  if (honoursIdempotencyKeys(hints)) out.push(`idempotency: \`${hints.idempotency.header}\`${hints.idempotency.required ? " (required)" : ""}`);
  if (hints.cache !== undefined) {
    const { policy, maxAgeSeconds, staleIfErrorSeconds } = hints.cache;
    out.push(`cache: ${policy}${maxAgeSeconds !== undefined ? ` ${maxAgeSeconds} s` : ""}${staleIfErrorSeconds !== undefined ? `, stale-if-error ${staleIfErrorSeconds} s` : ""}`);
  }
  if (hints.criticality !== undefined) out.push(hints.criticality);
  if (descriptor.deprecated) out.push("deprecated");
  return out;
}

export interface OpenApiReadmeInput {
  readonly doc: JsonObject;
  readonly registry: readonly RegistryEntry[];
  readonly target: ReadmeTarget;
  readonly title: string;
  readonly specRef: string;
  readonly baseUrl: string | undefined;
}

interface SchemeInfo {
  /** As `components.securitySchemes` names it (`name` is that, escaped for a table cell). */
  readonly scheme: string;
  readonly name: string;
  readonly description: string;
  /** Where a client-credentials token comes from, for the auth snippet. */
  readonly tokenUrl?: string;
  /** A header that carries a static key or token, for the auth snippet. */
  readonly header?: { readonly name: string; readonly value: string };
  /** A query parameter that carries an API key, for the auth snippet. */
  readonly queryKey?: string;
}

/**
 * Operations shown with a program of their own under "Usage". Every operation is in the
 * table; past this many, the rest are called the same way, and a README of every one (71 MB
 * for Microsoft Graph's 22 000 operations) would be read by nobody and slow every generate.
 */
export const MAX_USAGE_SNIPPETS = 500;

export async function renderOpenApiReadme(input: OpenApiReadmeInput, templates: TemplateSet): Promise<string> {
  const { doc, registry, target } = input;
  const schemes = securitySchemes(doc);
  const rootRateLimit = readRootRateLimit(doc, input.specRef);
  const rootRate = rootRateLimit === undefined ? undefined : rateLimitText(rootRateLimit);
  const factory = `create${target.typeName}Client`;
  const variable = clientVariable(target.typeName);
  const importPath = importPathOf(target.outDir);
  const envPrefix = envPrefixOf(target.name);
  const base = readmeBaseUrl(envPrefix, input.baseUrl);
  const byName = new Map(schemes.map((scheme) => [scheme.scheme, scheme]));
  // Operations mostly share the document's requirements: their options are worked out once.
  const optionsOf = new Map<readonly unknown[], string[]>();
  const credentialsOf = (requirements: readonly unknown[]) => {
    let options = optionsOf.get(requirements);
    if (options === undefined) optionsOf.set(requirements, (options = credentialOptions(envPrefix, signInSchemes(requirements, byName), false)));
    return options;
  };

  const operations = registry.map((entry, index) => {
    const d = entry.descriptor;
    const auth = authOf(doc, entry.operation);
    const credentials = index < MAX_USAGE_SNIPPETS && auth !== "none" ? credentialsOf(requirementsOf(doc, entry.operation)) : undefined;
    return {
      operationId: cell(d.operationId),
      name: d.name,
      method: d.method.toUpperCase(),
      path: cell(d.path),
      summary: d.summary === undefined ? "" : cell(d.summary),
      safety: d.safety,
      auth: cell(auth),
      hints: cell(hintPhrases(d, rootRate).join("; ")) || "–",
      snippet: index < MAX_USAGE_SNIPPETS ? operationSnippet(doc, entry, base, { factory, variable, importPath, ...(credentials === undefined ? {} : { credentials }) }) : undefined,
    };
  });

  return templates.render("provider-readme.md", {
    fhir: false,
    title: input.title,
    version: isObject(doc.info) && typeof doc.info.version === "string" ? doc.info.version : undefined,
    summary: isObject(doc.info) && typeof doc.info.summary === "string" ? doc.info.summary.trim() : undefined,
    provider: target.name,
    specRef: input.specRef,
    baseUrl: input.baseUrl,
    baseUrlVariable: base.variable,
    factory,
    importPath,
    createSnippet: createSnippet(base, credentialOptions(envPrefix, signInSchemes(clientRequirements(doc, registry, schemes), byName), true), { factory, variable, importPath }),
    schemes,
    operations,
    usage: operations.slice(0, MAX_USAGE_SNIPPETS),
    usageLeftOut: Math.max(0, operations.length - MAX_USAGE_SNIPPETS),
    clientVariable: variable,
    operationCount: operations.length,
    rootRate,
    retryDefaults: retryDefaults(),
  });
}

function securitySchemes(doc: JsonObject): SchemeInfo[] {
  const components = isObject(doc.components) ? doc.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  return Object.entries(schemes).flatMap(([name, raw]): SchemeInfo[] => {
    const scheme = deref(doc, raw);
    if (!isObject(scheme) || typeof scheme.type !== "string") return [];
    const label = { scheme: name, name: cell(name) };
    if (scheme.type === "oauth2") {
      const flows = isObject(scheme.flows) ? scheme.flows : {};
      const cc = isObject(flows.clientCredentials) ? flows.clientCredentials : undefined;
      const tokenUrl = cc !== undefined && typeof cc.tokenUrl === "string" ? cc.tokenUrl : undefined;
      const flowNames = Object.keys(flows).join(", ") || "no flow declared";
      // Without client credentials the app runs the flow itself and hands the client the token.
      const carries = tokenUrl !== undefined ? { tokenUrl } : { header: { name: "Authorization", value: "bearer" } };
      return [{ ...label, description: `OAuth 2.0 (${flowNames})${tokenUrl !== undefined ? `, token URL \`${tokenUrl}\`` : ""}`, ...carries }];
    }
    if (scheme.type === "apiKey" && typeof scheme.name === "string" && typeof scheme.in === "string") {
      const carries = scheme.in === "header" ? { header: { name: scheme.name, value: "key" } } : scheme.in === "query" ? { queryKey: scheme.name } : {};
      return [{ ...label, description: `API key in the ${scheme.in} \`${scheme.name}\``, ...carries }];
    }
    if (scheme.type === "http" && typeof scheme.scheme === "string") {
      const bearer = scheme.scheme.toLowerCase() === "bearer";
      return [{ ...label, description: `HTTP ${scheme.scheme}`, ...(bearer ? { header: { name: "Authorization", value: "bearer" } } : {}) }];
    }
    return [{ ...label, description: scheme.type }];
  });
}

/** An operation's security requirements: its own list, else the document's. */
function requirementsOf(doc: JsonObject, operation: JsonObject): readonly unknown[] {
  return Array.isArray(operation.security) ? operation.security : Array.isArray(doc.security) ? doc.security : [];
}

/** `oauth2`, `apiKey or none`, `api-key + user-id`: the schemes an operation accepts. */
function authOf(doc: JsonObject, operation: JsonObject): string {
  const requirements = requirementsOf(doc, operation);
  if (requirements.length === 0) return "none";
  const names = requirements.map((r) => (isObject(r) ? (Object.keys(r).length === 0 ? "none" : Object.keys(r).join(" + ")) : "?"));
  return [...new Set(names)].join(" or ");
}

export interface SnippetContext {
  readonly factory: string;
  readonly variable: string;
  readonly importPath: string;
  /** The client options that carry the spec's credentials (see `credentialOptions`), for a program calling an operation that needs them. */
  readonly credentials?: readonly string[];
}

/**
 * The requirements the README's first program creates its client for: the document's, else its
 * operations' in order, else (nothing asks for any) each declared scheme alone.
 */
function clientRequirements(doc: JsonObject, registry: readonly RegistryEntry[], schemes: readonly SchemeInfo[]): readonly unknown[] {
  if (Array.isArray(doc.security) && doc.security.length > 0) return doc.security;
  const own = registry.flatMap((entry) => (Array.isArray(entry.operation.security) ? entry.operation.security : []));
  return own.length > 0 ? own : schemes.map((scheme) => ({ [scheme.scheme]: [] }));
}

/**
 * The schemes a program signs in with: one requirement, whole, as the spec means it (its schemes
 * are needed together; the requirements are alternatives). The first whose every scheme the
 * client options carry, else the first.
 */
function signInSchemes(requirements: readonly unknown[], schemes: ReadonlyMap<string, SchemeInfo>): SchemeInfo[] {
  const sets = requirements.flatMap((requirement) => (isObject(requirement) && Object.keys(requirement).length > 0 ? [Object.keys(requirement)] : []));
  const carried = (name: string) => {
    const scheme = schemes.get(name);
    return scheme !== undefined && (scheme.tokenUrl !== undefined || scheme.header !== undefined || scheme.queryKey !== undefined);
  };
  const chosen = sets.find((names) => names.every(carried)) ?? sets[0] ?? [];
  return chosen.flatMap((name) => schemes.get(name) ?? []);
}

/**
 * The client options that carry a requirement's schemes, from the environment: client
 * credentials for OAuth, a header or a query parameter for each key or token. Every program
 * that calls an operation needing them creates its client with them, so a copied program is
 * not answered 401. `comments` adds a line on what each is.
 */
function credentialOptions(envPrefix: string, chosen: readonly SchemeInfo[], comments: boolean): string[] {
  const oauth = chosen.find((s) => s.tokenUrl !== undefined);
  const keys = chosen.filter((s) => s.header?.value === "key" || s.queryKey !== undefined);
  const keyVariables = keyVariableNames(keys);
  const key = (scheme: SchemeInfo) => `process.env["${envPrefix}_${keyVariables.get(scheme)}"] ?? ""`;
  const lines: string[] = [];
  if (oauth?.tokenUrl !== undefined) {
    lines.push(
      ...(comments ? [`  // OAuth 2.0 client credentials: one token, refreshed before it expires, paced like every call.`] : []),
      `  auth: {`,
      `    tokenUrl: ${JSON.stringify(oauth.tokenUrl)},`,
      `    clientId: process.env["${envPrefix}_CLIENT_ID"] ?? "",`,
      `    clientSecret: process.env["${envPrefix}_CLIENT_SECRET"] ?? "",`,
      `  },`,
    );
  }
  const headers = new Map<string, string>();
  for (const scheme of chosen) {
    const header = scheme.header;
    // One value a header: `auth` sends Authorization itself.
    if (header === undefined || headers.has(header.name.toLowerCase()) || (oauth !== undefined && header.name.toLowerCase() === "authorization")) continue;
    const bearer = header.value === "bearer";
    if (comments && bearer) lines.push(`  // A token your app obtained (the spec's \`${scheme.name}\` scheme); pass \`auth\` with a token source to have it refreshed.`);
    headers.set(header.name.toLowerCase(), `${propertyKey(header.name)}: ${bearer ? `\`Bearer \${process.env["${envPrefix}_TOKEN"] ?? ""}\`` : key(scheme)}`);
  }
  if (headers.size > 0) lines.push(`  headers: { ${[...headers.values()].join(", ")} },`);
  const query = chosen.flatMap((scheme) => (scheme.queryKey === undefined ? [] : [`${propertyKey(scheme.queryKey)}: ${key(scheme)}`]));
  if (query.length > 0) lines.push(...(comments ? [`  // The spec's API key${query.length > 1 ? "s go" : " goes"} in the query string of every request.`] : []), `  query: { ${query.join(", ")} },`);
  return lines;
}

/** The environment variable of each key: `API_KEY` for a requirement's one key, else each scheme's name (`USER_ID`). */
function keyVariableNames(keys: readonly SchemeInfo[]): Map<SchemeInfo, string> {
  const names = new Map<SchemeInfo, string>();
  const used = new Set<string>();
  for (const scheme of keys) {
    const base = keys.length === 1 ? "API_KEY" : scheme.scheme.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "API_KEY";
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    names.set(scheme, name);
  }
  return names;
}

function createSnippet(base: ReadmeBaseUrl, credentials: readonly string[], ctx: SnippetContext): string {
  const where = base.preamble.length > 0 ? [`// The spec names no server: set ${base.variable} to the API's address (the one \`carewire mock\` prints, say).`, ...base.preamble] : [];
  const options: string[] = [...(where.length > 0 ? [] : [`  // The spec's server, unless ${base.variable} names another (the address \`carewire mock\` prints, say).`]), `  ${base.option},`, ...credentials];
  options.push(`  timeoutMs: 10_000,`);
  return [
    `import { ${ctx.factory} } from ${JSON.stringify(ctx.importPath)};`,
    ``,
    ...where,
    `const ${ctx.variable} = ${ctx.factory}({`,
    ...options,
    `});`,
    `console.log(${ctx.variable}.provider);`,
  ].join("\n");
}

/** One self-contained program calling the operation with the spec's example values, at the address the create program uses. */
function operationSnippet(doc: JsonObject, entry: RegistryEntry, base: ReadmeBaseUrl, ctx: SnippetContext): string {
  const input = callInput(doc, entry);
  const args = input === undefined ? "" : tsLiteral(input, 0);
  return [
    `import { ${ctx.factory} } from ${JSON.stringify(ctx.importPath)};`,
    ``,
    ...base.preamble,
    ...(ctx.credentials !== undefined && ctx.credentials.length > 0 ? [`const ${ctx.variable} = ${ctx.factory}({`, `  ${base.option},`, ...ctx.credentials, `});`] : [`const ${ctx.variable} = ${ctx.factory}({ ${base.option} });`]),
    `const result = await ${ctx.variable}.${entry.descriptor.name}(${args});`,
    `if (result.error) console.error(result.error.kind, result.meta.attempts.length);`,
    `else console.log(result.data);`,
  ].join("\n");
}

/** `{ params: { path, query, header }, body }` with example values; undefined when nothing is needed or shown. */
function callInput(doc: JsonObject, entry: RegistryEntry): JsonObject | undefined {
  const idempotencyHeader = entry.descriptor.hints.idempotency?.header.toLowerCase();
  const sampler = (schema: unknown) => sampleOf(doc, schema);
  const params: Record<string, JsonObject> = {};
  for (const param of entry.parameterObjects) {
    const name = String(param.name);
    const location = String(param.in);
    if (location === "cookie") continue;
    const required = location === "path" || param.required === true;
    const example = explicitExample(doc, param);
    // Optional parameters appear only where the spec shows a value for them.
    if (!required && example === undefined) continue;
    // The runtime sends the idempotency key and the credentials itself.
    if (location === "header" && (name.toLowerCase() === idempotencyHeader || entry.credentialHeaders.includes(name))) continue;
    const value = fitExample(doc, param.schema, example ?? sampleOf(doc, param.schema) ?? "value", sampler);
    (params[location] ??= {})[name] = value;
  }
  const input: JsonObject = {};
  if (Object.keys(params).length > 0) {
    const ordered: JsonObject = {};
    for (const location of ["path", "query", "header"]) if (params[location] !== undefined) ordered[location] = params[location];
    input.params = ordered;
  }
  const body = requestBodyExample(doc, entry.operation);
  if (body !== undefined) input.body = body;
  return Object.keys(input).length === 0 ? undefined : input;
}

/** The parameter's own example: `example`, the first of `examples`, or its schema's example, default or first enum member. */
function explicitExample(doc: JsonObject, param: JsonObject): unknown {
  if (param.example !== undefined) return param.example;
  if (isObject(param.examples)) {
    for (const raw of Object.values(param.examples)) {
      const example = deref(doc, raw);
      if (isObject(example) && example.value !== undefined) return example.value;
    }
  }
  const schema = deref(doc, param.schema);
  if (!isObject(schema)) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  return undefined;
}

function requestBodyExample(doc: JsonObject, operation: JsonObject): unknown {
  const body = deref(doc, operation.requestBody);
  if (!isObject(body) || !isObject(body.content)) return undefined;
  const media = pickJsonMediaType(body.content) ?? firstMedia(body.content);
  if (media === undefined) return undefined;
  const sampler = (schema: unknown) => sampleOf(doc, schema, { skipReadOnly: true });
  const example = mediaExample(doc, media) ?? sampler(media.schema);
  return example === undefined ? undefined : fitExample(doc, media.schema, example, sampler);
}

function mediaExample(doc: JsonObject, media: { example?: unknown; examples?: unknown }): unknown {
  if (isObject(media.examples)) {
    for (const raw of Object.values(media.examples)) {
      const example = deref(doc, raw);
      if (isObject(example) && example.value !== undefined) return example.value;
    }
  }
  return media.example;
}

function firstMedia(content: JsonObject): { schema?: unknown; example?: unknown; examples?: unknown } | undefined {
  const first = Object.values(content)[0];
  return isObject(first) ? first : undefined;
}

/** A value sampled from a schema (openapi-sampler; its draws are deterministic). */
function sampleOf(doc: JsonObject, schema: unknown, options: { skipReadOnly?: boolean } = {}): unknown {
  if (schema === undefined) return undefined;
  try {
    return sample(schema as Parameters<typeof sample>[0], { ...options, skipWriteOnly: false, quiet: true, maxSampleDepth: 6 }, doc);
  } catch {
    return undefined;
  }
}
