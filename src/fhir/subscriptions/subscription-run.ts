/**
 * One started subscription: its events in order through the EventSequence, handed to the
 * app one at a time and checkpointed after each, gaps filled as soon as they show, the
 * server's status asked when the watchdog hears nothing. All work runs one step at a time
 * on a single chain, so the app's handler never sees two events at once.
 */
import type { Resource } from "fhir/r4.js";
import type { Clock } from "../../runtime/core/clock.js";
import { loadPosition, type SubscriptionCheckpointStore, type SubscriptionPosition } from "./checkpoint-store.js";
import { fillGap, type CatchUpContext } from "./catch-up.js";
import { findOrCreate, reactivation, type ServerSubscription } from "./find-or-create.js";
import { EventSequence } from "./event-sequence.js";
import { countBelowHandled, highestNumber, jumpsTooFar } from "./server-count.js";
import type { FhirSubscriptionOptions } from "./fhir-subscription.js";
import type { Notification, SubscriptionEvent } from "./notification.js";
import { failureAlarm } from "./subscription-notes.js";
import type { SubscriptionServer } from "./subscription-server.js";
import type { PayloadContent } from "./subscription-resource.js";
import { SearchStart } from "./search-start.js";
import { VersionMemory } from "./version-memory.js";

type RunOptions<R extends Resource> = FhirSubscriptionOptions<R> & { readonly heartbeatSeconds: number; readonly reactivate: boolean; readonly payload: PayloadContent; readonly filters: readonly string[] };

interface RunDeps<R extends Resource> {
  readonly options: RunOptions<R>;
  readonly server: SubscriptionServer;
  readonly checkpoint: SubscriptionCheckpointStore;
  readonly clock: Clock;
}

/** Gaps one step fills before it lets other work (a status check) run. */
const GAPS_PER_STEP = 100;

export class SubscriptionRun<R extends Resource> {
  private readonly sequence: EventSequence;
  private readonly versions = new VersionMemory();
  private readonly searchStart: SearchStart;
  private work: Promise<void> = Promise.resolve();
  private stepQueued = false;
  private closed = false;
  private gapSeen: { from: number; at: number } | undefined;
  private reactivating = false;
  private readonly catchUpContext: CatchUpContext;

  private constructor(
    private readonly deps: RunDeps<R>,
    private subscription: ServerSubscription,
    private readonly key: string,
    position: SubscriptionPosition | undefined,
  ) {
    this.sequence = new EventSequence(position?.eventNumber ?? 0);
    this.searchStart = new SearchStart(position?.timestamp);
    this.catchUpContext = {
      server: this.deps.server,
      subscriptionId: this.subscription.id,
      sequence: this.sequence,
      filters: this.deps.options.filters,
      payload: this.deps.options.payload,
      eventsSupported: true,
      since: () => this.searchStart.since,
      deliverReady: () => this.deliverReady(),
      deliverFound: (resource, coversUpTo) => this.deliverFound(resource, coversUpTo),
      coveredUpTo: async (n) => {
        this.sequence.skipTo(n);
        await this.save(n);
      },
    };
  }

  /** Finds this app's own Subscription or creates it (see `findOrCreate`); loads its position. */
  static async open<R extends Resource>(deps: RunDeps<R>): Promise<{ run: SubscriptionRun<R>; reused: boolean }> {
    const { subscription, reused } = await findOrCreate(deps.server, deps.options);
    const key = `${deps.options.client.baseUrl ?? ""}/Subscription/${subscription.id}`;
    return { run: new SubscriptionRun(deps, subscription, key, await loadPosition(deps.checkpoint, key)), reused };
  }

  get id(): string {
    return this.subscription.id;
  }

  get lastHandled(): number {
    return this.sequence.lastHandled;
  }

  /** A notification for this subscription, read and checked; numbers far past what is known wait for `$status` to confirm them. */
  take(notification: Notification): void {
    if (jumpsTooFar(notification, this.sequence)) return void this.enqueue(() => this.confirmThenTake(notification)).then(() => this.kick());
    // A count below the last handled: held back on the way, or the server counts anew; `$status` tells.
    if (countBelowHandled(notification, this.sequence)) void this.refreshStatus();
    // A new subscription's catch-up search starts where the server says it started, not at the beginning of time.
    if (notification.type === "handshake" && this.searchStart.since === undefined && this.sequence.lastHandled === 0) this.searchStart.consider(notification.sentAt);
    this.sequence.learnCount(notification.eventsSinceStart);
    for (const event of notification.events) {
      if (this.sequence.offer(event) === "duplicate") this.deps.options.observe?.({ kind: "duplicate-dropped", eventNumber: event.eventNumber });
    }
    this.checkActive(notification.status);
    this.kick();
  }

  /** Takes a notification whose numbers jump far ahead once `$status` shows the server has raised that many; refuses it otherwise. */
  private async confirmThenTake(notification: Notification): Promise<void> {
    const status = await this.learnStatus();
    const highest = highestNumber(notification);
    if (status.eventsSinceStart >= highest) return this.take(notification);
    this.deps.options.onAlarm?.({ kind: "event-number-refused", subscriptionId: this.id, eventNumber: highest, serverCount: status.eventsSinceStart });
  }

  /** `$status`: its count learned, unless it is below the last event handled (a counter reset: alarmed, never followed). */
  private async learnStatus(): Promise<Notification> {
    const status = await this.deps.server.status(this.id);
    if (status.eventsSinceStart < this.sequence.lastHandled) {
      this.deps.options.onAlarm?.({ kind: "counter-reset", subscriptionId: this.id, lastHandled: this.sequence.lastHandled, serverCount: status.eventsSinceStart });
    } else this.sequence.learnCount(status.eventsSinceStart);
    this.checkActive(status.status);
    return status;
  }

  /** The watchdog heard nothing for `silentMs`. */
  silent(silentMs: number): void {
    this.deps.options.observe?.({ kind: "heartbeat-missed", silentMs });
    this.deps.options.onAlarm?.({ kind: "heartbeat-missed", subscriptionId: this.id, silentMs });
    void this.refreshStatus();
  }

  /** Asks `$status` for the server's count (and state), then catches up. */
  refreshStatus(): Promise<void> {
    return this.enqueue(async () => void (await this.learnStatus())).then(() => this.kick());
  }

  /** Resolves once the chain has no work left (work queued while waiting is waited for too). */
  async idle(): Promise<void> {
    for (let current = this.work; ; current = this.work) {
      await current;
      if (current === this.work) return;
    }
  }

  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private checkActive(status: string): void {
    if (status !== "error" && status !== "off") return;
    const reactivating = this.deps.options.reactivate;
    this.deps.options.onAlarm?.({ kind: "subscription-inactive", subscriptionId: this.id, status, reactivating });
    // Once at a time: every notification of an errored subscription says so again.
    if (!reactivating || this.reactivating) return;
    this.reactivating = true;
    void this.enqueue(async () => {
      try {
        this.subscription = { ...(await this.deps.server.update(reactivation(this.subscription, this.deps.options.header))), id: this.id };
        this.deps.options.observe?.({ kind: "reactivated" });
      } finally {
        this.reactivating = false;
      }
    });
  }

  /** Runs `task` after the work before it; a failure becomes an alarm, and the chain goes on. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    this.work = this.work.then(async () => {
      if (this.closed) return;
      try {
        await task();
      } catch (error) {
        this.deps.options.onAlarm?.(failureAlarm(error, this.id));
      }
    });
    return this.work;
  }

  /** One step of handing over and catching up, unless one is already waiting to run. */
  private kick(): void {
    if (this.stepQueued) return;
    this.stepQueued = true;
    void this.enqueue(async () => {
      this.stepQueued = false;
      await this.step();
    });
  }

  private async step(): Promise<void> {
    if (!(await this.deliverReady())) return;
    for (let i = 0; i < GAPS_PER_STEP; i++) {
      const gap = this.sequence.gap();
      if (!gap) return;
      // A gap retried after a failure is timed from when it was first seen.
      if (this.gapSeen?.from !== gap.from) {
        this.gapSeen = { from: gap.from, at: this.deps.clock.now() };
        this.deps.options.observe?.({ kind: "gap-detected", from: gap.from, to: gap.to });
      }
      const filled = await fillGap(this.catchUpContext, gap);
      if (!filled) return;
      this.deps.options.observe?.({ kind: "caught-up", from: gap.from, to: gap.to, events: filled.count, ms: this.deps.clock.now() - this.gapSeen.at, via: filled.via });
      this.gapSeen = undefined;
      if (!(await this.deliverReady())) return;
    }
  }

  /** Hands over every event next in line; false when the app's handler failed (the event stays next). */
  private async deliverReady(): Promise<boolean> {
    for (let next = this.sequence.peek(); next !== undefined; next = this.sequence.peek()) {
      // A focus of another type than the subscription's is the server's mistake: never read as, nor handed over as, this type.
      const foreign = next.focus !== undefined && next.focus.split("/")[0] !== this.deps.options.resourceType;
      const event = !foreign && next.resource === undefined && next.focus !== undefined && this.deps.options.payload === "id-only" ? await this.withFocus(next) : next;
      if (foreign) this.deps.options.onAlarm?.({ kind: "focus-refused", subscriptionId: this.id, eventNumber: event.eventNumber });
      else if (this.versions.supersededBySearch(event.focus, event.resource)) this.deps.options.observe?.({ kind: "stale-dropped", eventNumber: event.eventNumber });
      else if (!(await this.handOver(event))) return false;
      this.sequence.advance();
      await this.save(event.eventNumber);
    }
    return true;
  }

  /** A resource a catch-up search found: handed over unless that version (or a later one) already was. */
  private async deliverFound(resource: Resource, coversUpTo: number): Promise<boolean> {
    const focus = `${resource.resourceType}/${resource.id ?? ""}`;
    if (this.versions.handedOver(focus, resource)) return true;
    const timestamp = resource.meta?.lastUpdated ?? "";
    if (!(await this.handOver({ eventNumber: coversUpTo, timestamp, focus, resource, via: "search" }))) return false;
    this.versions.foundBySearch(focus, resource);
    // Progress saved as it goes: a restart searches on from here rather than from the gap's start.
    await this.save(this.sequence.lastHandled);
    return true;
  }

  private async handOver(event: SubscriptionEvent): Promise<boolean> {
    try {
      await this.deps.options.onEvent(event as SubscriptionEvent<R>);
    } catch {
      this.deps.options.onAlarm?.({ kind: "handler-failed", subscriptionId: this.id, eventNumber: event.eventNumber });
      return false;
    }
    if (event.focus !== undefined && event.resource !== undefined) this.versions.remember(event.focus, event.resource);
    this.searchStart.consider(event.resource?.meta?.lastUpdated);
    return true;
  }

  private async withFocus(event: SubscriptionEvent): Promise<SubscriptionEvent> {
    const resource = await this.deps.server.read(event.focus!);
    return resource ? { ...event, resource } : event;
  }

  private save(eventNumber: number): Promise<void> {
    return this.deps.checkpoint.save(this.key, { eventNumber, ...(this.searchStart.since !== undefined ? { timestamp: this.searchStart.since } : {}) });
  }
}
