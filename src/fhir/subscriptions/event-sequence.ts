/**
 * Events in event-number order, each once: a number already handled or already held is a
 * duplicate; an event after a gap is held until the gap is filled (or skipped, when a
 * catch-up covered it another way). Bounded: past `maxHeld` events the newest are refused,
 * and a catch-up fetches them again.
 */
import type { SubscriptionEvent } from "./notification.js";

export type Offered = "held" | "duplicate" | "overflow";

export class EventSequence {
  private readonly held = new Map<number, SubscriptionEvent>();
  /** The highest event number the server is known to have raised. */
  private known: number;

  constructor(
    /** The last event number handled (0: none). */
    private handled: number,
    private readonly maxHeld = 10_000,
  ) {
    this.known = handled;
  }

  get lastHandled(): number {
    return this.handled;
  }

  get highestKnown(): number {
    return this.known;
  }

  /** The server says it has raised `count` events (a heartbeat, a status). */
  learnCount(count: number): void {
    this.known = Math.max(this.known, count);
  }

  offer(event: SubscriptionEvent): Offered {
    const n = event.eventNumber;
    this.learnCount(n);
    if (n <= this.handled || this.held.has(n)) return "duplicate";
    if (this.held.size >= this.maxHeld) return "overflow";
    this.held.set(n, event);
    return "held";
  }

  /** The next event to hand over, when it is here. */
  peek(): SubscriptionEvent | undefined {
    return this.held.get(this.handled + 1);
  }

  /** The event `peek` gave was handled. */
  advance(): void {
    this.held.delete(++this.handled);
  }

  /** The first run of missing numbers: from the next expected to the one before the next held (or the last known). */
  gap(): { readonly from: number; readonly to: number } | undefined {
    if (this.peek() !== undefined) return undefined;
    let firstHeld = Number.POSITIVE_INFINITY;
    for (const n of this.held.keys()) firstHeld = Math.min(firstHeld, n);
    const to = Math.min(firstHeld - 1, this.known);
    return to > this.handled ? { from: this.handled + 1, to } : undefined;
  }

  /** Every number up to `n` counts as handled (a catch-up covered them); held ones among them are dropped. */
  skipTo(n: number): void {
    for (const k of this.held.keys()) if (k <= n) this.held.delete(k);
    this.handled = Math.max(this.handled, n);
    this.known = Math.max(this.known, n);
  }
}
