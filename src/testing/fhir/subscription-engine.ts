/**
 * The FHIR simulator's subscription engine: Subscriptions on the topics it offers, each with
 * an event counter and a log (for `$events`), notifications POSTed to the channel endpoint
 * as the store changes, heartbeats while idle, and seeded delivery faults (drop, duplicate,
 * delay) plus a silence a test can switch on. Sending never blocks the server: each POST
 * runs on its own, bounded by a timeout, and `close()` aborts whatever is still going.
 */
import { seededRandom } from "../simulator/random.js";
import type { FhirStore, StoreChange, StoredResource } from "./fhir-store.js";
import { notificationBundle, statusBundle, type LoggedEvent, type NotificationType, type SubscriptionState } from "./subscription-bundles.js";
import { readSubscription, type ActiveSubscription, type SubscriptionSimulatorOptions } from "./subscription-topics.js";
import type { SimulatorTime } from "../simulator/clock.js";

interface Running {
  readonly subscription: ActiveSubscription;
  state: SubscriptionState;
  count: number;
  readonly log: LoggedEvent[];
  lastSentAt: number;
  /** A heartbeat loop runs for it. */
  beating: boolean;
}

/** What a test can see and steer of the engine. */
export interface SubscriptionControls {
  /** Notifications and heartbeats sent (duplicates counted), dropped by a fault, lost in a silence, failed to send. */
  readonly counters: { sent: number; dropped: number; silenced: number; failed: number };
  /** Sends nothing (no notification, no heartbeat) for `ms` on the simulator's clock; events are still counted and logged. */
  silenceFor(ms: number): void;
  /** Resolves once no notification is on the wire (those held back by a delay fault are not waited for). */
  settled(): Promise<void>;
  /** Events raised so far for one subscription. */
  eventCount(id: string): number | undefined;
}

export type EngineAnswer = { readonly status: number; readonly body: unknown };

const DEFAULT_SEND_TIMEOUT_MS = 5_000;

export class SubscriptionEngine implements SubscriptionControls {
  private readonly running = new Map<string, Running>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private readonly random: () => number;
  private silentUntil = Number.NEGATIVE_INFINITY;
  readonly counters = { sent: 0, dropped: 0, silenced: 0, failed: 0 };

  constructor(
    private readonly options: SubscriptionSimulatorOptions,
    private readonly store: FhirStore,
    private readonly clock: SimulatorTime,
    private readonly base: () => string,
  ) {
    this.random = seededRandom(options.faults?.seed ?? 1);
    store.onChange((change) => this.onChange(change));
  }

  get servesEvents(): boolean {
    return this.options.eventsOperation !== false;
  }

  /** A posted Subscription: validated, stored as `requested`, handshaken, then `active` (or `error` when the endpoint refuses). */
  async create(resource: StoredResource): Promise<EngineAnswer> {
    const read = readSubscription(resource, this.options.topics);
    if ("error" in read) return { status: 422, body: outcomeOf("processing", read.error) };
    const id = this.store.newId();
    const run: Running = { subscription: { ...read, id }, state: "requested", count: 0, log: [], lastSentAt: this.clock.now(), beating: false };
    this.running.set(id, run);
    this.store.put({ ...this.masked(resource), id, status: "requested" });
    return { status: 201, body: await this.handshake(run, resource) };
  }

  /** An update: `requested` asks for a new handshake (reactivation), `off` stops the subscription. */
  async update(id: string, resource: StoredResource): Promise<EngineAnswer | undefined> {
    const run = this.running.get(id);
    if (!run) return undefined;
    if (resource.status === "off") {
      run.state = "off";
      return { status: 200, body: this.store.put({ ...this.masked(resource), id }) };
    }
    return { status: 200, body: await this.handshake(run, resource) };
  }

  private async handshake(run: Running, resource: StoredResource): Promise<StoredResource> {
    const ok = await this.post(run, this.bundle(run, "handshake", []));
    run.state = ok ? "active" : "error";
    run.lastSentAt = this.clock.now();
    if (ok) this.heartbeats(run);
    return this.store.put({ ...this.masked(resource), id: run.subscription.id, status: run.state });
  }

  /** The resource as stored: with `maskHeaders`, each channel header's value hidden (the engine keeps the real ones to send). */
  private masked(resource: StoredResource): StoredResource {
    const channel = resource.channel as { header?: unknown } | undefined;
    if (!this.options.maskHeaders || !Array.isArray(channel?.header)) return resource;
    return { ...resource, channel: { ...channel, header: channel.header.map((h) => `${String(h).split(":")[0]}: ***`) } };
  }

  /** The Subscription requests the engine answers itself; undefined for those the simulator serves as for any resource. */
  async route(method: string, id: string | undefined, operation: string | undefined, query: URLSearchParams, body: unknown): Promise<EngineAnswer | undefined> {
    const resource = body as StoredResource | undefined;
    if (id === undefined) return method === "POST" && resource?.resourceType === "Subscription" ? this.create(resource) : undefined;
    if (operation === "$status" && (method === "GET" || method === "POST")) return this.status(id) ?? notFound(id);
    if (operation === "$events" && (method === "GET" || method === "POST")) {
      if (!this.servesEvents) return { status: 501, body: outcomeOf("not-supported", "$events is not supported") };
      return this.events(id, query) ?? notFound(id);
    }
    if (operation === undefined && method === "PUT" && resource?.resourceType === "Subscription") return this.update(id, resource);
    return undefined;
  }

  status(id: string): EngineAnswer | undefined {
    const run = this.running.get(id);
    return run && { status: 200, body: statusBundle(this.statusInput(run, "query-status", [])) };
  }

  /** `$events`: the logged events in [since, until], at most 100 per answer. */
  events(id: string, query: URLSearchParams): EngineAnswer | undefined {
    const run = this.running.get(id);
    if (!run) return undefined;
    const since = Number(query.get("eventsSinceNumber") ?? 1);
    const until = Number(query.get("eventsUntilNumber") ?? run.count);
    if (!Number.isInteger(since) || !Number.isInteger(until)) return { status: 400, body: outcomeOf("invalid", "event numbers must be integers") };
    const events = run.log.filter((e) => e.eventNumber >= since && e.eventNumber <= until).slice(0, 100);
    return { status: 200, body: notificationBundle(this.statusInput(run, "query-event", events), new Date(this.clock.now()).toISOString()) };
  }

  eventCount(id: string): number | undefined {
    return this.running.get(id)?.count;
  }

  silenceFor(ms: number): void {
    this.silentUntil = this.clock.now() + ms;
  }

  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.settled();
  }

  private onChange(change: StoreChange): void {
    // A deleted Subscription sends nothing more.
    if (change.resource.resourceType === "Subscription" && change.interaction === "delete") {
      const gone = this.running.get(change.resource.id);
      if (gone) gone.state = "off";
    }
    for (const run of this.running.values()) {
      const { topic, filters } = run.subscription;
      if (run.state === "off" || change.resource.resourceType !== topic.resourceType) continue;
      if (!(topic.interactions ?? ["create", "update", "delete"]).includes(change.interaction)) continue;
      if (!filters.every((f) => this.store.matches(change.resource, f))) continue;
      const event: LoggedEvent = { eventNumber: ++run.count, timestamp: change.resource.meta?.lastUpdated ?? new Date(this.clock.now()).toISOString(), interaction: change.interaction, resource: change.resource };
      run.log.push(event);
      if (run.log.length > (this.options.maxLoggedEvents ?? 10_000)) run.log.shift();
      if (run.state === "active") this.deliver(run, this.bundle(run, "event-notification", [event]));
    }
  }

  /** Sends one notification through the fault knobs. */
  private deliver(run: Running, bundle: unknown): void {
    const faults = this.options.faults ?? {};
    if (this.clock.now() < this.silentUntil) return void this.counters.silenced++;
    if (this.random() < (faults.drop ?? 0)) return void this.counters.dropped++;
    const copies = this.random() < (faults.duplicate ?? 0) ? 2 : 1;
    const delayed = this.random() < (faults.delay ?? 0);
    run.lastSentAt = this.clock.now();
    const send = () => {
      for (let i = 0; i < copies; i++) this.track(this.post(run, bundle).then(() => undefined));
    };
    if (!delayed) return send();
    this.track(this.clock.wait(faults.delayMs ?? 1_000, this.stop.signal).then(send, () => undefined), false);
  }

  /** A heartbeat whenever a period passes with nothing sent, until the subscription stops or the engine closes. */
  private heartbeats(run: Running): void {
    const period = run.subscription.heartbeatMs;
    if (period === undefined || run.beating) return;
    run.beating = true;
    const loop = async () => {
      while (!this.stop.signal.aborted && run.state === "active") {
        const due = run.lastSentAt + period;
        if (this.clock.now() >= due) {
          run.lastSentAt = this.clock.now();
          if (this.clock.now() < this.silentUntil) this.counters.silenced++;
          else this.track(this.post(run, this.bundle(run, "heartbeat", [])).then(() => undefined));
          continue;
        }
        await this.clock.wait(due - this.clock.now(), this.stop.signal);
      }
    };
    loop()
      .catch(() => undefined)
      .finally(() => (run.beating = false));
  }

  private track(work: Promise<void>, waitable = true): void {
    if (!waitable) return void work.catch(() => undefined);
    const settled = work.catch(() => undefined).finally(() => this.inflight.delete(settled));
    this.inflight.add(settled);
  }

  /** One POST to the endpoint with the channel's headers; true on a 2xx. */
  private async post(run: Running, bundle: unknown): Promise<boolean> {
    if (this.stop.signal.aborted) return false;
    const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS)]);
    try {
      const response = await fetch(run.subscription.endpoint, { method: "POST", headers: { ...run.subscription.headers, "content-type": "application/fhir+json" }, body: JSON.stringify(bundle), signal });
      await response.arrayBuffer().catch(() => undefined);
      this.counters.sent++;
      if (!response.ok) this.counters.failed++;
      return response.ok;
    } catch {
      this.counters.failed++;
      return false;
    }
  }

  private bundle(run: Running, type: NotificationType, events: readonly LoggedEvent[]) {
    return notificationBundle(this.statusInput(run, type, events), new Date(this.clock.now()).toISOString());
  }

  private statusInput(run: Running, type: NotificationType, events: readonly LoggedEvent[]) {
    return { base: this.base(), subscription: run.subscription, state: run.state, type, count: run.count, events };
  }
}

function notFound(id: string): EngineAnswer {
  return { status: 404, body: outcomeOf("not-found", `Subscription/${id} is not known`) };
}

function outcomeOf(code: string, diagnostics: string) {
  return { resourceType: "OperationOutcome", issue: [{ severity: "error", code, diagnostics }] };
}
