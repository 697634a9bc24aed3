/**
 * The only attributes carewire puts on spans, span events and metrics, and where their
 * values come from: method, path template, host and port of the base URL, status code,
 * error and outcome kinds, provider and operation ids, the tenant, hashes. Never a full URL
 * or query (paths hold resource ids and queries hold search terms, PHI alike), a header, a
 * body, a token or a key. What an operation always carries is built once per operation and
 * reused, so a recorded call builds few objects.
 */
import type { OperationDescriptor } from "../core/operation.js";
import type { OtelAttributes } from "./open-telemetry.js";

export const METHOD = "http.request.method";
export const URL_TEMPLATE = "url.template";
export const SERVER_ADDRESS = "server.address";
export const SERVER_PORT = "server.port";
export const STATUS_CODE = "http.response.status_code";
export const STATUS_CLASS = "http.response.status_class";
export const ERROR_TYPE = "error.type";
export const RESEND_COUNT = "http.request.resend_count";
export const PROVIDER = "carewire.provider";
export const OPERATION_ID = "carewire.operation_id";
export const TENANT = "carewire.tenant";
export const OUTCOME = "carewire.outcome";
export const IDEMPOTENCY_KEY_HASH = "carewire.idempotency_key.hash";
export const QUOTA_WAIT_MS = "carewire.quota.wait_ms";
export const BREAKER_STATE = "carewire.breaker.state";
export const BREAKER_GROUP = "carewire.breaker.group";
export const CACHE_RESULT = "carewire.cache.result";

/** Host and port of the client's base URL: the only part of a URL that is recorded. */
export interface ServerAddress {
  readonly address: string;
  readonly port: number;
}

export function serverAddressOf(baseUrl: string): ServerAddress | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : url.protocol === "http:" ? 80 : undefined;
  return port === undefined ? undefined : { address: url.hostname, port };
}

/** `error.type`: the status code for an HTTP error, else carewire's error kind (`timeout`, `network`…). */
export function errorTypeOf(status: number | undefined, errorKind: string | undefined): string | undefined {
  return status !== undefined && status >= 400 ? String(status) : errorKind;
}

/** `2xx`, `4xx`…, or `none` when no response arrived. */
export function statusClassOf(status: number | undefined): string {
  return status === undefined ? "none" : `${Math.floor(status / 100)}xx`;
}

/** Beyond this many variants an operation's attribute sets are built per use instead of kept. */
const MAX_VARIANTS = 64;

/** One operation's names and attribute sets, for one client. Attribute objects handed out are never changed. */
export class OperationLabels {
  readonly provider: string;
  /** Provider and operation id in one string, a key for what is kept per operation. */
  readonly id: string;
  readonly callSpanName: string;
  readonly attemptSpanName: string;
  /** Provider and operation id: the call span's, and every carewire counter's base. */
  readonly ids: OtelAttributes;
  /** What every attempt span starts with. */
  readonly attempt: OtelAttributes;
  /** The HTTP semantic-convention set the duration histogram is keyed by (no status yet). */
  private readonly http: OtelAttributes;
  private readonly variants = new Map<string, OtelAttributes>();

  constructor(provider: string, operation: OperationDescriptor, server: ServerAddress | undefined) {
    const method = operation.method.toUpperCase();
    this.provider = provider;
    this.id = `${provider}\u0000${operation.operationId}`;
    this.callSpanName = `${provider} ${operation.operationId}`;
    // Never a literal request path: its ids are PHI (see OperationDescriptor.pathTemplate).
    const template = operation.pathTemplate ?? operation.path;
    this.attemptSpanName = `${method} ${template}`;
    this.ids = { [PROVIDER]: provider, [OPERATION_ID]: operation.operationId };
    this.http = { [METHOD]: method, [URL_TEMPLATE]: template, ...(server ? { [SERVER_ADDRESS]: server.address, [SERVER_PORT]: server.port } : {}) };
    this.attempt = { ...this.http, ...this.ids };
  }

  /** The duration histogram's attributes for an attempt that ended so. */
  forDuration(status: number | undefined, errorType: string | undefined): OtelAttributes {
    const key = `d${status ?? ""}|${errorType ?? ""}`;
    return this.variants.get(key) ?? this.keep(key, { ...this.http, ...(status !== undefined ? { [STATUS_CODE]: status } : {}), ...(errorType !== undefined ? { [ERROR_TYPE]: errorType } : {}) });
  }

  /** The ids plus one more attribute (an outcome, a cache result…); built once per set, the counter keeps it. */
  with(name: string, value: string): OtelAttributes {
    return { ...this.ids, [name]: value };
  }

  /** The calls counter's attributes (built once per set: the counter keeps them). */
  forCall(outcome: string, statusClass: string): OtelAttributes {
    return { ...this.ids, [OUTCOME]: outcome, [STATUS_CLASS]: statusClass };
  }

  /** The tenant counter's attributes: the provider and the tenant, no operation. */
  forTenant(tenant: string): OtelAttributes {
    return { [PROVIDER]: this.provider, [TENANT]: tenant };
  }

  private keep(key: string, attributes: OtelAttributes): OtelAttributes {
    if (this.variants.size < MAX_VARIANTS) this.variants.set(key, attributes);
    return attributes;
  }
}

/** Labels per operation, built on first use. */
export function labelsCache(provider: string, server: ServerAddress | undefined): (operation: OperationDescriptor) => OperationLabels {
  const byOperation = new WeakMap<OperationDescriptor, OperationLabels>();
  return (operation) => {
    let labels = byOperation.get(operation);
    if (labels === undefined) {
      labels = new OperationLabels(provider, operation, server);
      byOperation.set(operation, labels);
    }
    return labels;
  };
}
