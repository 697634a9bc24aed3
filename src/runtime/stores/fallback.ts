/**
 * The rule every shared store of carewire follows when its engine fails: answer from this
 * process's memory, at once, and ask the shared engine again only after `retryAfterMs`.
 * A call never waits on a store that is down (each command is bounded by the connection,
 * and while the store is out none is sent) and never fails because of it.
 */
import type { Awaitable } from "./quota-store.js";

export class Fallback {
  private downUntil = 0;

  constructor(private readonly retryAfterMs = 1_000) {}

  /** The shared store's answer, or the local one when the shared store is out or fails now. */
  async either<T>(now: number, shared: () => Awaitable<T>, local: () => Awaitable<T>): Promise<T> {
    if (now >= this.downUntil) {
      try {
        return await shared();
      } catch {
        this.downUntil = now + this.retryAfterMs;
      }
    }
    return local();
  }
}
