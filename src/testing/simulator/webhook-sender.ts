/**
 * The simulator as a webhook sender: each change of its resources becomes a Standard
 * Webhooks event (a stable id, a type like `patient.updated`, the resource's id), signed
 * and POSTed to the app, retried on a non-2xx or a timeout on the simulator's clock, as
 * providers do (immediately, 5 s, 5 min, 30 min, 2 h… by default). Fault knobs, drawn from
 * a seeded sequence, duplicate some deliveries and hold some back, so a test can prove its
 * receiver takes each event once.
 */
import { signWebhook } from "../../webhooks/sign.js";
import type { WebhookSecret } from "../../webhooks/secrets.js";
import { seededRandom } from "./random.js";
import { waitUnlessStopped, type SimulatorTime } from "./clock.js";
import type { ResourceChange } from "./webhook-store.js";

export interface SimulatorWebhookOptions {
  /** Where events are POSTed. */
  readonly url: string;
  /** The signing secret (`whsec_…`, or any string or bytes). */
  readonly secret: WebhookSecret;
  /** Waits before each retry, ms on the simulator's clock; its length is the retries made. */
  readonly retryScheduleMs?: readonly number[];
  /** Longest wait for the app's answer to one attempt (real time). Default 5,000. */
  readonly timeoutMs?: number;
  /** Seeds the fault draws. Default the simulator's seed. */
  readonly seed?: number;
  /**
   * Deliver this fraction of events twice (the same id, signed again): the copy at the same
   * moment, or `afterMs` later on the simulator's clock (a late duplicate, after the app has
   * taken the first).
   */
  readonly duplicate?: number | { readonly fraction: number; readonly afterMs: number };
  /** Hold this fraction of events back `ms` (simulator clock) before their first attempt. */
  readonly delay?: { readonly fraction: number; readonly ms: number };
}

/** One attempt, as the simulator saw it. */
export interface WebhookDelivery {
  readonly id: string;
  readonly type: string;
  readonly attempt: number;
  /** The app's status, or 0 when it gave none (timeout, refused connection). */
  readonly status: number;
  /** A duplicate the fault knob added. */
  readonly duplicate: boolean;
}

export interface SimulatorWebhooks {
  /** Every attempt so far (the newest 10,000). */
  readonly deliveries: readonly WebhookDelivery[];
  /** Events made so far. */
  readonly events: number;
  /** Resolves when no delivery is in flight or waiting for a retry or a delay. */
  idle(): Promise<void>;
}

export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
const MAX_LOG = 10_000;

export class WebhookSender implements SimulatorWebhooks {
  readonly deliveries: WebhookDelivery[] = [];
  events = 0;
  private readonly random: () => number;
  private readonly tasks = new Set<Promise<void>>();
  /** Part of every event id: a second simulator (or a restarted one) sending to the same inbox makes new ids, not duplicates. */
  private readonly run = globalThis.crypto.randomUUID().slice(0, 8);
  private readonly stopping = new AbortController();

  constructor(
    private readonly options: SimulatorWebhookOptions,
    private readonly clock: SimulatorTime,
    seed: number,
  ) {
    this.random = seededRandom(options.seed ?? seed);
  }

  /** Turns one change into an event and starts delivering it. */
  readonly send = (change: ResourceChange): void => {
    if (this.stopping.signal.aborted) return;
    const n = ++this.events;
    const type = `${resourceName(change.collection)}.${change.action}`;
    const event = { id: `msg_${this.run}_${String(n).padStart(8, "0")}`, type, body: JSON.stringify({ type, timestamp: new Date(this.clock.now()).toISOString(), data: { id: change.id, collection: change.collection } }) };
    const delayMs = this.options.delay && this.random() < this.options.delay.fraction ? this.options.delay.ms : 0;
    const duplicate = this.options.duplicate;
    const twice = this.random() < (typeof duplicate === "number" ? duplicate : duplicate?.fraction ?? 0);
    this.track(this.deliver(event, delayMs, false));
    if (twice) this.track(this.deliver(event, delayMs + (typeof duplicate === "object" ? duplicate.afterMs : 0), true));
  };

  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
  }

  /** Stops sending: waits and attempts in flight end at once. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private track(task: Promise<void>): void {
    const tracked = task.finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }

  private async deliver(event: { id: string; type: string; body: string }, delayMs: number, duplicate: boolean): Promise<void> {
    const schedule = this.options.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
    if (delayMs > 0 && !(await waitUnlessStopped(this.clock, delayMs, this.stopping.signal))) return;
    for (let attempt = 1; attempt <= schedule.length + 1; attempt++) {
      if (attempt > 1 && !(await waitUnlessStopped(this.clock, schedule[attempt - 2]!, this.stopping.signal))) return;
      const status = await this.attempt(event);
      this.deliveries.push({ id: event.id, type: event.type, attempt, status, duplicate });
      if (this.deliveries.length > MAX_LOG) this.deliveries.shift();
      if (status >= 200 && status < 300) return;
      if (this.stopping.signal.aborted) return;
    }
  }

  private async attempt(event: { id: string; body: string }): Promise<number> {
    const headers = await signWebhook(event.body, { secret: this.options.secret, id: event.id, timestamp: Math.floor(this.clock.now() / 1000) });
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.timeoutMs ?? 5_000)]);
    try {
      const response = await fetch(this.options.url, { method: "POST", body: event.body, headers: { ...headers, "content-type": "application/json", "user-agent": "carewire-simulator" }, signal });
      await response.arrayBuffer().catch(() => undefined);
      return response.status;
    } catch {
      return 0;
    }
  }
}

/** `/patients` → `patient`, `/v1/Calls.json` → `call`: the last plain segment, singular, lower-case. */
export function resourceName(collection: string): string {
  const segment = collection.split("/").filter((s) => s !== "" && !s.startsWith("{")).at(-1) ?? "resource";
  const plain = segment.replace(/\.[A-Za-z]+$/, "").replace(/[^A-Za-z0-9_]/g, "").toLowerCase() || "resource";
  return plain.endsWith("ies") ? `${plain.slice(0, -3)}y` : plain.endsWith("s") && !plain.endsWith("ss") ? plain.slice(0, -1) : plain;
}
