/**
 * The part of `@opentelemetry/api` carewire uses, as structural types, and how the api is
 * found. The api is an optional peer: an app without it must still compile against
 * carewire's declarations, so nothing here names its types; the real api (any 1.x) fits
 * these shapes. By default Node loads it once per process through `require`: its CommonJS
 * copy keeps the global registry on `globalThis`, so providers an app registers through the
 * ESM copy are seen too. Bundlers and browsers pass it with the client's `openTelemetry`.
 */
import { requireOptional } from "../portable/node-builtin.js";

/** Attribute values carewire sets: strings and numbers (and `true`, for the SDK's overflow set). */
export type OtelAttributes = Record<string, string | number | boolean>;

/** An OpenTelemetry context: immutable, a new one for each value set. */
export interface OtelContext {
  getValue(key: symbol): unknown;
  /** (Optional in this shape so a hand-made api still fits; the real one has it.) */
  setValue?(key: symbol, value: unknown): OtelContext;
}

export interface OtelSpan {
  isRecording(): boolean;
  /** The span's ids; a trace id of zeros is no trace at all (the api's no-op span). */
  spanContext?(): { readonly traceId: string };
  setAttribute(key: string, value: string | number): unknown;
  setAttributes(attributes: OtelAttributes): unknown;
  addEvent(name: string, attributes?: OtelAttributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

export interface OtelSpanOptions {
  kind?: number;
  attributes?: OtelAttributes;
}

export interface OtelTracer {
  startSpan(name: string, options?: OtelSpanOptions, context?: OtelContext): OtelSpan;
}

export interface OtelTracerProvider {
  getTracer(name: string, version?: string): OtelTracer;
}

export interface OtelCounter {
  add(value: number, attributes?: OtelAttributes): void;
}

export interface OtelHistogram {
  record(value: number, attributes?: OtelAttributes): void;
}

export interface OtelObservableResult {
  observe(value: number, attributes?: OtelAttributes): void;
}

export interface OtelObservable {
  addCallback(callback: (result: OtelObservableResult) => void | Promise<void>): void;
  removeCallback(callback: (result: OtelObservableResult) => void | Promise<void>): void;
}

export interface OtelInstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

export interface OtelMeter {
  createCounter(name: string, options?: OtelInstrumentOptions): OtelCounter;
  createHistogram(name: string, options?: OtelInstrumentOptions): OtelHistogram;
  createObservableGauge(name: string, options?: OtelInstrumentOptions): OtelObservable;
  createObservableCounter(name: string, options?: OtelInstrumentOptions): OtelObservable;
}

export interface OtelMeterProvider {
  getMeter(name: string, version?: string): OtelMeter;
}

/** What carewire calls on `@opentelemetry/api`: pass the module itself (`import * as api from "@opentelemetry/api"`). */
export interface OpenTelemetryApi {
  readonly trace: {
    getTracerProvider(): OtelTracerProvider;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
  };
  readonly metrics: { getMeterProvider(): OtelMeterProvider };
  readonly context: {
    active(): OtelContext;
    /** Runs `fn` with `context` active (through the app's context manager; the default one only calls it). */
    with?<R>(context: OtelContext, fn: () => R): R;
  };
  readonly propagation: {
    inject(context: OtelContext, carrier: Record<string, string>): void;
    /** The header names the registered propagator sets: none for the api's default no-op. */
    fields(): string[];
  };
  /** The api's no-op meter: a meter provider that hands it out records nothing. */
  createNoopMeter(): OtelMeter;
}

/**
 * The client's `openTelemetry` option: `false` turns it off; an object passes the api (for
 * bundlers and browsers, where carewire cannot load it itself) and, optionally, providers to
 * use instead of the globally registered ones.
 */
export type OpenTelemetryOptions =
  | false
  | {
      readonly api?: OpenTelemetryApi | undefined;
      readonly tracerProvider?: OtelTracerProvider | undefined;
      readonly meterProvider?: OtelMeterProvider | undefined;
    };

export type ApiLoader = () => OpenTelemetryApi | undefined;

/** The api as Node's `require` finds it next to carewire, or undefined where it is not installed (or not Node). */
export const requireOpenTelemetryApi: ApiLoader = () => {
  try {
    return requireOptional("OpenTelemetry")("@opentelemetry/api") as OpenTelemetryApi;
  } catch {
    return undefined;
  }
};

/** null once the lookup found nothing. */
let loaded: OpenTelemetryApi | null | undefined;

/** The required api, looked up once per process (a missing package is not looked for again). */
export const loadOpenTelemetryOnce: ApiLoader = () => {
  loaded ??= requireOpenTelemetryApi() ?? null;
  return loaded ?? undefined;
};

/**
 * Where every copy of the api (any 1.x) keeps what an app registers: a tracer, meter or
 * context manager, a propagator. It does not exist until something is registered, and
 * until then nothing can record a call.
 */
const GLOBAL_REGISTRY = Symbol.for("opentelemetry.js.api.1");

/** Whether an app registered anything with OpenTelemetry's global api (a look at `globalThis`, no import). */
export function somethingRegistered(): boolean {
  return (globalThis as Record<symbol, unknown>)[GLOBAL_REGISTRY] !== undefined;
}

/**
 * Whether a context carewire makes active can reach anyone else: a context manager is
 * registered. The api's default keeps none (its `context.with` only calls the function, and
 * every `context.active()` is the root), so a context set for a request would go nowhere.
 * Without the global registry (an api handed over with providers of its own) it may.
 */
export function contextManagerRegistered(): boolean {
  const registry = (globalThis as Record<symbol, { readonly context?: unknown } | undefined>)[GLOBAL_REGISTRY];
  return registry === undefined || registry.context !== undefined;
}

/** The api a call may record to now, or undefined. */
export type ApiSource = () => OpenTelemetryApi | undefined;

/**
 * Where a client gets the api for each call, or undefined when OpenTelemetry is off (then
 * nothing is wired). Given one, it is that one. Otherwise the package is loaded only once an
 * app has registered something with it: an app that has the package installed (as a
 * dependency of a dependency, say) and uses no OpenTelemetry does not pay for importing it,
 * at start-up or per call; one that registers a provider later is picked up on its next call.
 */
export function resolveOpenTelemetry(option: OpenTelemetryOptions | undefined, load: ApiLoader = loadOpenTelemetryOnce, registered: () => boolean = somethingRegistered): ApiSource | undefined {
  if (option === false) return undefined;
  const given = option?.api;
  if (given !== undefined) return () => given;
  // Providers of its own given to the client need no global registration to record.
  if (option?.tracerProvider !== undefined || option?.meterProvider !== undefined) return load;
  return () => (registered() ? load() : undefined);
}
