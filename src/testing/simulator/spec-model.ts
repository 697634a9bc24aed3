/**
 * The simulator's view of a spec: operations with their routes, the schemas of their
 * bodies and the example or sampled body of each declared response. Loaded with the
 * codegen's own loader and registry, so the simulator and the generated client can
 * never disagree about what an operation is.
 */
import { sample } from "openapi-sampler";
import { buildRegistry, type RegistryEntry } from "../../codegen/build-registry.js";
import { deref, isObject, type JsonObject } from "../../codegen/json.js";
import { loadSpec } from "../../codegen/load-spec.js";
import { pickJsonMediaType } from "../../codegen/schema-emitter.js";
import type { OperationDescriptor } from "../../runtime/core/operation.js";
import { requestContentType } from "../../runtime/wire/media-type.js";
import { statusKeyFor } from "../../runtime/wire/status-key.js";
import { conformToSchema } from "./conform.js";
import { withoutWriteOnly } from "./write-only.js";
import { safeDecodeURIComponent } from "./http-io.js";
import { RequestValidator } from "./validation.js";

export interface Route {
  readonly entry: RegistryEntry;
  readonly op: OperationDescriptor;
  readonly regex: RegExp;
  readonly paramNames: readonly string[];
  /**
   * What tells operations on one path apart beside the method: `#Name=Value` after the path,
   * as specs converted from AWS's protocols write it (`/#X-Amz-Target=HealthLake.ListFHIRDatastores`,
   * `/#Action=DescribeInstances&Version=2016-11-15`). A request matches when each name is a
   * header or query parameter with that value. Clients send the path alone (a fragment never
   * leaves the client).
   */
  readonly discriminators: ReadonlyArray<readonly [string, string]>;
  /** Static segments first when two templates match the same path (`/a/me` before `/a/{id}`). */
  readonly specificity: number;
}

/** An API key a security scheme asks for: the scheme's name, and where the key goes. */
export interface ApiKeyPlace {
  readonly scheme: string;
  readonly in: string;
  readonly name: string;
}

/**
 * One way into an operation: a request must carry all of it. A requirement of the spec, with
 * HTTP basic met either by a user name or by a token (so a basic requirement is two of these).
 */
export interface CredentialSet {
  /** A bearer token from the simulator's token endpoint (oauth2, openIdConnect, http bearer). */
  readonly bearer: boolean;
  /** An HTTP basic user, any. */
  readonly basic: boolean;
  readonly apiKeys: readonly ApiKeyPlace[];
}

/** The credentials an operation takes: any one of its sets, whole; or nothing, where it allows anonymous calls. */
export interface AcceptedCredentials {
  readonly sets: readonly CredentialSet[];
  /** A `{}` requirement (or none at all): a request without credentials is let in. */
  readonly anonymous: boolean;
}

/** A request's header or query parameter of that name (headers case-insensitive). */
export type RequestValueOf = (name: string) => string | undefined;

export interface MediaSample {
  readonly contentType: string;
  readonly schema?: unknown;
  readonly body: unknown;
}

export class SpecModel {
  /** Routes by match priority (most specific first). */
  readonly routes: Route[];
  /** The same routes in document order. */
  readonly documentOrder: Route[];
  /** Path prefix of the first server URL (e.g. `/v2`), accepted but not required on requests. */
  readonly basePath: string;
  private readonly samples = new Map<string, MediaSample | null>();
  private readonly byFirstSegment = new Map<string, Route[]>();
  private readonly credentialCache = new WeakMap<Route, AcceptedCredentials>();
  private validatorInstance: RequestValidator | undefined;

  private constructor(
    readonly file: string,
    readonly doc: JsonObject,
    readonly openapiVersion: "3.0" | "3.1",
    entries: RegistryEntry[],
  ) {
    this.documentOrder = entries
      .map((entry) => {
        const paramNames: string[] = [];
        const { template, discriminators } = splitDiscriminators(entry.descriptor.path);
        const parts = template.split(/(\{[^{}]+\})/);
        const isParam = (i: number) => i >= 0 && i < parts.length && /^\{[^{}]+\}$/.test(parts[i]!);
        const pattern = parts
          .map((part, i) => {
            const param = /^\{([^{}]+)\}$/.exec(part);
            if (param) {
              paramNames.push(param[1]!);
              // Two parameters in one segment (`{pageName}{extension}`) split it wrongly unless
              // one of them is limited to fixed values (extension one of `.json`): it matches only those.
              const adjacent = (parts[i - 1] === "" && isParam(i - 2)) || (parts[i + 1] === "" && isParam(i + 2));
              const values = adjacent ? pathEnum(doc, entry.parameterObjects.find((p) => p.in === "path" && p.name === param[1])) : undefined;
              return values === undefined ? "([^/]+)" : `(${values.map(escapeRegExp).join("|")})`;
            }
            return escapeRegExp(part);
          })
          .join("");
        const staticLength = template.replace(/\{[^{}]+\}/g, "").length;
        // A discriminated route is tried before a plain one on the same template.
        return { entry, op: entry.descriptor, regex: new RegExp(`^${pattern}/?$`), paramNames, discriminators, specificity: staticLength * 100 - paramNames.length + discriminators.length };
      });
    this.routes = [...this.documentOrder].sort((a, b) => b.specificity - a.specificity);
    // Index by first path segment: a 1,000-operation spec should not run 1,000 regexes per request.
    for (const route of this.routes) {
      const first = firstSegment(splitDiscriminators(route.op.path).template);
      const key = first.startsWith("{") ? "*" : first;
      const list = this.byFirstSegment.get(key) ?? [];
      list.push(route);
      this.byFirstSegment.set(key, list);
    }
    this.basePath = basePathOf(doc);
  }

  /** `overlays`: OpenAPI Overlay files applied first, as codegen applies a provider's. */
  static async load(file: string, overlays?: readonly string[]): Promise<SpecModel> {
    const loaded = await loadSpec(file, overlays === undefined ? {} : { overlays });
    return new SpecModel(file, loaded.document, loaded.openapiVersion, buildRegistry(loaded.document, file));
  }

  /** Ajv over this document, built on first use (a 13 MB spec should not pay for it at start). */
  get validator(): RequestValidator {
    this.validatorInstance ??= new RequestValidator(this.doc, this.openapiVersion);
    return this.validatorInstance;
  }

  /** Path of the OAuth token endpoint: the spec's client-credentials `tokenUrl`, else `/oauth/token`. */
  get tokenPath(): string {
    for (const scheme of Object.values(this.securitySchemes)) {
      if (!isObject(scheme) || !isObject(scheme.flows)) continue;
      for (const flow of Object.values(scheme.flows)) {
        if (isObject(flow) && typeof flow.tokenUrl === "string") {
          try {
            return new URL(flow.tokenUrl, "http://placeholder").pathname;
          } catch {
            // an unparsable tokenUrl: use the default
          }
        }
      }
    }
    return "/oauth/token";
  }

  /**
   * The credentials an operation accepts. OpenAPI lists requirements as alternatives, each
   * naming schemes that are needed together: `[{a: [], b: []}, {c: []}]` is a and b, or c.
   * Cached per route.
   */
  credentialsFor(route: Route): AcceptedCredentials {
    const cached = this.credentialCache.get(route);
    if (cached) return cached;
    const requirements = Array.isArray(route.entry.operation.security) ? route.entry.operation.security : Array.isArray(this.doc.security) ? this.doc.security : [];
    const sets = new Map<string, CredentialSet>();
    const add = (set: CredentialSet) => sets.set(JSON.stringify([set.bearer, set.basic, set.apiKeys.map((k) => [k.in, k.name])]), set);
    let anonymous = requirements.length === 0;
    for (const requirement of requirements) {
      if (!isObject(requirement)) continue;
      const names = Object.keys(requirement);
      if (names.length === 0) {
        anonymous = true;
        continue;
      }
      let bearer = false;
      let basic = false;
      const apiKeys: ApiKeyPlace[] = [];
      const schemes = names.flatMap((name) => {
        const scheme = this.securityScheme(name);
        return scheme === undefined ? [] : [{ name, scheme }];
      });
      for (const { name, scheme } of schemes) {
        if (scheme.type === "apiKey" && typeof scheme.name === "string" && typeof scheme.in === "string") apiKeys.push({ scheme: name, in: scheme.in, name: scheme.name });
        else if (scheme.type === "http" && typeof scheme.scheme === "string" && scheme.scheme.toLowerCase() === "basic") basic = true;
        else bearer = true;
      }
      // A scheme the document does not define is not asked for; a requirement of nothing else takes a token.
      if (schemes.length === 0) bearer = true;
      // HTTP basic identifies the client by its user name; the simulator's own tokens stay good too.
      if (basic && !bearer) add({ bearer: true, basic: false, apiKeys });
      add({ bearer, basic: basic && !bearer, apiKeys });
    }
    const result: AcceptedCredentials = { sets: [...sets.values()], anonymous };
    this.credentialCache.set(route, result);
    return result;
  }

  /** Every API key the document's security schemes declare, in document order. */
  get apiKeySchemes(): ApiKeyPlace[] {
    return Object.keys(this.securitySchemes).flatMap((name) => {
      const scheme = this.securityScheme(name);
      return scheme?.type === "apiKey" && typeof scheme.name === "string" && typeof scheme.in === "string" ? [{ scheme: name, in: scheme.in, name: scheme.name }] : [];
    });
  }

  private get securitySchemes(): JsonObject {
    const components = this.doc.components;
    return isObject(components) && isObject(components.securitySchemes) ? components.securitySchemes : {};
  }

  private securityScheme(name: string): JsonObject | undefined {
    const schemes = this.securitySchemes;
    const scheme = Object.hasOwn(schemes, name) ? deref(this.doc, schemes[name]) : undefined;
    return isObject(scheme) ? scheme : undefined;
  }

  get operations(): OperationDescriptor[] {
    return this.documentOrder.map((r) => r.op);
  }

  /** The route for a method and path (and, for discriminated routes, the request's headers and query), or why there is none. */
  match(method: string, pathname: string, valueOf: RequestValueOf = () => undefined): { route: Route; params: Record<string, string> } | { error: 404 } | { error: 405; allow: string[] } {
    let path = pathname;
    if (this.basePath && (path === this.basePath || path.startsWith(`${this.basePath}/`))) path = path.slice(this.basePath.length) || "/";
    const allow = new Set<string>();
    const exact = this.byFirstSegment.get(firstSegment(path)) ?? [];
    const wildcard = this.byFirstSegment.get("*") ?? [];
    const candidates = wildcard.length === 0 ? exact : [...exact, ...wildcard].sort((a, b) => b.specificity - a.specificity);
    for (const route of candidates) {
      const m = route.regex.exec(path);
      if (!m || !route.discriminators.every(([name, value]) => valueOf(name) === value)) continue;
      if (route.op.method !== method.toLowerCase()) {
        allow.add(route.op.method.toUpperCase());
        continue;
      }
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, i) => {
        params[name] = safeDecodeURIComponent(m[i + 1]!);
      });
      return { route, params };
    }
    return allow.size > 0 ? { error: 405, allow: [...allow].sort() } : { error: 404 };
  }

  /** The declared response for a status: exact, then its range, then `default`. */
  responseFor(route: Route, status: number): JsonObject | undefined {
    const responses = deref(this.doc, route.entry.operation.responses);
    if (!isObject(responses)) return undefined;
    const key = statusKeyFor(status, Object.keys(responses));
    const raw = key === undefined ? undefined : (responses[key] ?? responses[key.toLowerCase()]);
    const response = deref(this.doc, raw);
    return isObject(response) ? response : undefined;
  }

  /** The success status the simulator answers with: the lowest declared 2xx. */
  successStatus(route: Route): number {
    const statuses = Object.keys(route.op.responses)
      .filter((s) => /^2\d\d$/.test(s))
      .map(Number)
      .sort((a, b) => a - b);
    if (statuses.length > 0) return statuses[0]!;
    return route.op.method === "post" ? 201 : 200;
  }

  /**
   * The body for a declared response: the first named example, the media type's
   * example, or a sample from the schema (deterministic). Cached per operation+status.
   */
  mediaSample(route: Route, status: number): MediaSample | undefined {
    const key = `${route.op.operationId} ${status}`;
    if (this.samples.has(key)) return this.samples.get(key) ?? undefined;
    const response = this.responseFor(route, status);
    const result = response ? this.sampleContent(response.content) : undefined;
    this.samples.set(key, result ?? null);
    return result;
  }

  /**
   * The schema of a declared response's body (its JSON media type's, else the first), with no
   * body sampled: sampling repairs the sample against the schema, which compiles it, and on a
   * spec of a thousand operations that is seconds the catalog must not spend before listening.
   */
  mediaSchema(route: Route, status: number): unknown {
    const content = this.responseFor(route, status)?.content;
    return isObject(content) ? mediaOf(content)?.media.schema : undefined;
  }

  /** Request body schema (JSON or form) and its content types. */
  requestBody(route: Route): { required: boolean; contentTypes: string[]; media: Map<string, JsonObject> } | undefined {
    const body = deref(this.doc, route.entry.operation.requestBody);
    if (!isObject(body) || !isObject(body.content)) return undefined;
    const media = new Map<string, JsonObject>();
    for (const [type, value] of Object.entries(body.content)) if (isObject(value)) media.set(type.toLowerCase(), value);
    return { required: body.required === true, contentTypes: [...media.keys()], media };
  }

  /**
   * The media type a client sends a request body as, and its media object: the first declared
   * type that is not a range, else the first range's media sent as `requestContentType` says.
   */
  requestMedia(route: Route): { contentType: string; media: JsonObject } | undefined {
    const body = this.requestBody(route);
    if (!body) return undefined;
    const contentType = requestContentType(body.contentTypes);
    // Only ranges declared: their first media object describes what goes out as JSON.
    const media = body.media.get(contentType) ?? body.media.values().next().value;
    return media === undefined ? undefined : { contentType, media };
  }

  /** An example or sample value for a request body (used by the contract runner). */
  requestSample(route: Route): { contentType: string; body: unknown } | undefined {
    const chosen = this.requestMedia(route);
    return chosen && { contentType: chosen.contentType, body: this.exampleOf(chosen.media, { skipReadOnly: true }) };
  }

  /** An example or sample value for a parameter or header object (its `example`, `examples` or `schema`). */
  parameterExample(param: JsonObject): unknown {
    const media: JsonObject = {};
    for (const key of ["example", "examples", "schema"]) if (param[key] !== undefined) media[key] = param[key];
    return this.exampleOf(media);
  }

  exampleOf(media: JsonObject, options: { skipReadOnly?: boolean; skipWriteOnly?: boolean } = {}): unknown {
    const value = this.rawExampleOf(media, options);
    // A value the schema refuses (a sample that ignores `pattern`, an example that breaks its own schema) is repaired.
    if (value === undefined || media.schema === undefined) return value;
    return conformToSchema(this.validator, media.schema, value, (s) => this.sampleFromValidator(s)).body;
  }

  private rawExampleOf(media: JsonObject, options: { skipReadOnly?: boolean; skipWriteOnly?: boolean }): unknown {
    if (isObject(media.examples)) {
      for (const raw of Object.values(media.examples)) {
        const example = deref(this.doc, raw);
        if (isObject(example) && "value" in example) return structuredClone(example.value);
      }
    }
    if (media.example !== undefined) return structuredClone(media.example);
    if (media.schema === undefined) return undefined;
    try {
      return sample(media.schema as Parameters<typeof sample>[0], { ...options, quiet: true, maxSampleDepth: 6 }, this.doc);
    } catch {
      return {};
    }
  }

  /**
   * A response body made valid against its schema: write-only fields out, then each invalid
   * value repaired (real specs' examples break their own schemas). What cannot be repaired
   * stays, and the startup report names it.
   */
  conform(schema: unknown, body: unknown): unknown {
    const repaired = conformToSchema(this.validator, schema, withoutWriteOnly(this.doc, schema, body), (s) => this.sampleFromValidator(s)).body;
    return withoutWriteOnly(this.doc, schema, repaired);
  }

  /** A sample of a schema from the validator's copy, whose refs point into the document as `spec#/…`. */
  private sampleFromValidator(schema: JsonObject): unknown {
    const local = JSON.parse(JSON.stringify(schema).replace(/"\$ref":"spec#/g, '"$ref":"#')) as JsonObject;
    try {
      return sample(local as Parameters<typeof sample>[0], { skipWriteOnly: true, quiet: true, maxSampleDepth: 6 }, this.doc);
    } catch {
      return {};
    }
  }

  private sampleContent(content: unknown): MediaSample | undefined {
    if (!isObject(content)) return undefined;
    const picked = mediaOf(content);
    if (picked === undefined) return undefined;
    const { contentType, media, json } = picked;
    // A JSON body is repaired once, by `conform` (which also drops write-only fields).
    const schemaChecked = json && media.schema !== undefined;
    let body = schemaChecked ? this.rawExampleOf(media, { skipWriteOnly: true }) : this.exampleOf(media, { skipWriteOnly: true });
    if (schemaChecked && body !== undefined) body = this.conform(media.schema, body);
    return { contentType, schema: media.schema, body };
  }
}

/** The media type a response is sampled from: its JSON one, else the first declared. */
function mediaOf(content: JsonObject): { contentType: string; media: JsonObject; json: boolean } | undefined {
  const json = pickJsonMediaType(content);
  const contentType = Object.keys(content).find((t) => content[t] === json) ?? Object.keys(content)[0];
  if (contentType === undefined) return undefined;
  return { contentType, media: json ?? (isObject(content[contentType]) ? (content[contentType] as JsonObject) : {}), json: json !== undefined };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The string values a path parameter is limited to, when its schema lists them. */
function pathEnum(doc: JsonObject, param: JsonObject | undefined): string[] | undefined {
  const schema = param === undefined ? undefined : deref(doc, param.schema);
  if (!isObject(schema) || !Array.isArray(schema.enum) || schema.enum.length === 0) return undefined;
  return schema.enum.every((v): v is string => typeof v === "string" && v !== "") ? schema.enum : undefined;
}

/** A path as the spec writes it, split into its template and the `#Name=Value` pairs after it. */
function splitDiscriminators(path: string): { template: string; discriminators: Array<readonly [string, string]> } {
  const hash = path.indexOf("#");
  if (hash < 0) return { template: path, discriminators: [] };
  return { template: path.slice(0, hash) || "/", discriminators: [...new URLSearchParams(path.slice(hash + 1))] };
}

function firstSegment(path: string): string {
  return path.split("/").find((s) => s.length > 0) ?? "";
}

function basePathOf(doc: JsonObject): string {
  const server = Array.isArray(doc.servers) ? doc.servers[0] : undefined;
  if (!isObject(server) || typeof server.url !== "string") return "";
  try {
    const path = new URL(server.url.replace(/\{[^}]+\}/g, "x"), "http://placeholder").pathname.replace(/\/+$/, "");
    return path === "/" ? "" : path;
  } catch {
    return "";
  }
}

