/**
 * carewire's instruments, made once per meter provider (meter `carewire`) and shared by
 * every client that records to it, so two clients never report one breaker group twice.
 * A provider that hands out the api's no-op meter records nothing: then no instrument is
 * made and calls skip metrics entirely.
 */
import { BREAKER_GROUP, PROVIDER, TENANT, type OperationLabels } from "./attributes.js";
import type { OpenTelemetryApi, OtelAttributes, OtelCounter, OtelHistogram, OtelMeter, OtelMeterProvider, OtelObservableResult } from "./open-telemetry.js";

/** One set of attributes a locally kept counter has counted, and how many. */
interface Tally {
  readonly attributes: OtelAttributes;
  count: number;
}

/** The HTTP semantic conventions' advice for request durations, in seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The breaker gauge's values. */
const BREAKER_VALUES: Readonly<Record<string, number>> = { closed: 0, "half-open": 1, open: 2 };

/** Most breaker groups and tenants kept: both are bounded by configuration, this guards against a runaway label. */
const MAX_KEPT = 1_000;

export class CarewireMetrics {
  readonly requestDuration: OtelHistogram;
  readonly rateLimited: OtelCounter;
  readonly retries: OtelCounter;
  readonly quotaWait: OtelHistogram;
  readonly cache: OtelCounter;
  readonly tenantCalls: OtelCounter;
  /** Each breaker group's last known state, as the gauge reports it. */
  private readonly breakers = new Map<string, { readonly attributes: OtelAttributes; value: number }>();
  private readonly tenants = new Map<string, OtelAttributes>();
  /**
   * Logical calls counted here and reported when the reader collects: a synchronous counter
   * would have the SDK hash the attribute set on every call, the costliest part of
   * recording one. The sets are bounded: operations × outcome classes × status classes.
   */
  private readonly callTallies = new Map<string, Tally>();

  constructor(meter: OtelMeter) {
    this.requestDuration = meter.createHistogram("http.client.request.duration", { unit: "s", description: "Duration of each HTTP attempt carewire sent", advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    meter.createObservableCounter("carewire.client.calls", { unit: "{call}", description: "Logical calls, by final outcome" }).addCallback((result) => this.reportCalls(result));
    this.rateLimited = meter.createCounter("carewire.client.rate_limited", { unit: "{response}", description: "429 responses received" });
    this.retries = meter.createCounter("carewire.client.retries", { unit: "{retry}", description: "Attempts sent again, by the outcome that caused it" });
    this.quotaWait = meter.createHistogram("carewire.client.quota.wait", { unit: "s", description: "Time pacing held an attempt for the provider's quota", advice: { explicitBucketBoundaries: WAIT_BUCKETS } });
    this.cache = meter.createCounter("carewire.client.cache", { unit: "{lookup}", description: "Cache results" });
    this.tenantCalls = meter.createCounter("carewire.tenant.calls", { unit: "{call}", description: "Logical calls per tenant" });
    meter.createObservableGauge("carewire.client.breaker.state", { description: "Circuit state per endpoint group: 0 closed, 1 half-open, 2 open" }).addCallback((result) => this.reportBreakers(result));
  }

  /** One logical call of an operation ended so. */
  countCall(labels: OperationLabels, outcome: string, statusClass: string): void {
    const key = `${labels.id}\u0000${outcome}\u0000${statusClass}`;
    const tally = this.callTallies.get(key);
    if (tally !== undefined) tally.count++;
    else this.callTallies.set(key, { attributes: labels.forCall(outcome, statusClass), count: 1 });
  }

  /** A breaker group changed state. */
  breakerChanged(group: string, to: string): void {
    const value = BREAKER_VALUES[to];
    if (value === undefined) return;
    const known = this.breakers.get(group);
    if (known !== undefined) known.value = value;
    else if (this.breakers.size < MAX_KEPT) this.breakers.set(group, { attributes: { [BREAKER_GROUP]: group }, value });
  }

  /** The tenant counter's attributes for one provider and tenant (kept, not rebuilt per call). */
  tenantAttributes(provider: string, tenant: string): OtelAttributes {
    const key = `${provider}\u0000${tenant}`;
    let attributes = this.tenants.get(key);
    if (attributes === undefined) {
      attributes = { [PROVIDER]: provider, [TENANT]: tenant };
      if (this.tenants.size < MAX_KEPT) this.tenants.set(key, attributes);
    }
    return attributes;
  }

  private reportCalls(result: OtelObservableResult): void {
    for (const { attributes, count } of this.callTallies.values()) result.observe(count, attributes);
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
