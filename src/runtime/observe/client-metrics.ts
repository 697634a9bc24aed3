/**
 * carewire's instruments, made once per meter provider (meter `carewire`) and shared by
 * every client that records to it, so two clients never report one breaker group twice.
 * A provider that hands out the api's no-op meter records nothing: then no instrument is
 * made and calls skip metrics entirely.
 */
import { BREAKER_GROUP } from "./attributes.js";
import type { OpenTelemetryApi, OtelAttributes, OtelHistogram, OtelMeter, OtelMeterProvider, OtelObservableResult } from "./open-telemetry.js";
import { TalliedCounter } from "./tallied-counter.js";

/** The HTTP semantic conventions' advice for request durations, in seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The breaker gauge's values. */
const BREAKER_VALUES: Readonly<Record<string, number>> = { closed: 0, "half-open": 1, open: 2 };

/** Most breaker groups kept: they are bounded by configuration, this guards against a runaway label. */
const MAX_KEPT = 1_000;

export class CarewireMetrics {
  readonly requestDuration: OtelHistogram;
  readonly quotaWait: OtelHistogram;
  /**
   * The counters are kept here and reported when the reader collects: a synchronous counter
   * would have the SDK hash the attribute set on every call. Their sets are bounded:
   * operations × outcome, status class or cache result; tenants by configuration.
   */
  readonly calls: TalliedCounter;
  readonly rateLimited: TalliedCounter;
  readonly retries: TalliedCounter;
  readonly cache: TalliedCounter;
  readonly tenantCalls: TalliedCounter;
  /** Each breaker group's last known state, as the gauge reports it. */
  private readonly breakers = new Map<string, { readonly attributes: OtelAttributes; value: number }>();

  constructor(meter: OtelMeter) {
    this.requestDuration = meter.createHistogram("http.client.request.duration", { unit: "s", description: "Duration of each HTTP attempt carewire sent", advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.calls = new TalliedCounter(meter, "carewire.client.calls", { unit: "{call}", description: "Logical calls, by final outcome" });
    this.rateLimited = new TalliedCounter(meter, "carewire.client.rate_limited", { unit: "{response}", description: "429 responses received" });
    this.retries = new TalliedCounter(meter, "carewire.client.retries", { unit: "{retry}", description: "Attempts sent again, by the outcome that caused it" });
    this.quotaWait = meter.createHistogram("carewire.client.quota.wait", { unit: "s", description: "Time pacing held an attempt for the provider's quota", advice: { explicitBucketBoundaries: WAIT_BUCKETS } });
    this.cache = new TalliedCounter(meter, "carewire.client.cache", { unit: "{lookup}", description: "Cache results" });
    this.tenantCalls = new TalliedCounter(meter, "carewire.tenant.calls", { unit: "{call}", description: "Logical calls per tenant" });
    meter.createObservableGauge("carewire.client.breaker.state", { description: "Circuit state per endpoint group: 0 closed, 1 half-open, 2 open" }).addCallback((result) => this.reportBreakers(result));
  }

  /** A breaker group changed state. */
  breakerChanged(group: string, to: string): void {
    const value = BREAKER_VALUES[to];
    if (value === undefined) return;
    const known = this.breakers.get(group);
    if (known !== undefined) known.value = value;
    else if (this.breakers.size < MAX_KEPT) this.breakers.set(group, { attributes: { [BREAKER_GROUP]: group }, value });
  }

  private reportBreakers(result: OtelObservableResult): void {
    for (const { attributes, value } of this.breakers.values()) result.observe(value, attributes);
  }
}

/** null for a provider that records nothing. */
const byProvider = new WeakMap<OtelMeterProvider, CarewireMetrics | null>();

/** The instruments of a meter provider, or undefined when it is the api's no-op one. */
export function metricsOf(api: OpenTelemetryApi, provider: OtelMeterProvider): CarewireMetrics | undefined {
  let metrics = byProvider.get(provider);
  if (metrics === undefined) {
    const meter = provider.getMeter("carewire");
    metrics = meter === api.createNoopMeter() ? null : new CarewireMetrics(meter);
    byProvider.set(provider, metrics);
  }
  return metrics ?? undefined;
}
