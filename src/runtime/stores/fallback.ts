/**
 * The rule every shared store of carewire follows when its engine fails: answer from this
 * process's memory, at once, and ask the shared engine again only after `retryAfterMs`.
 * A call never waits on a store that is down (each command is bounded by the connection,
 * and while the store is out none is sent) and never fails because of it.
 */
import type { Awaitable } from "./quota-store.js";
import { isThenable } from "../portable/thenable.js";

/** Whether an instance answers from the shared store or, while it is out, from its own memory. */
export type SharedState = "shared" | "local";

/** Told when a part of the shared state goes local or shared again (an operator's log or metric). */
export type StateListener = (state: SharedState) => void;

export class Fallback {
  private downUntil = 0;
  private out = false;

  constructor(
    private readonly retryAfterMs = 1_000,
    private readonly onChange?: StateListener,
  ) {}

  /** The shared store's answer, or the local one when the shared store is out or fails now. */
  async either<T>(now: number, shared: () => Awaitable<T>, local: () => Awaitable<T>): Promise<T> {
    if (now >= this.downUntil) {
      try {
        const answer = await shared();
        this.became(false);
        return answer;
      } catch {
        this.downUntil = now + this.retryAfterMs;
        this.became(true);
      }
    }
    return local();
  }

  private became(out: boolean): void {
    if (out === this.out) return;
    this.out = out;
    tell(this.onChange, out ? "local" : "shared");
  }
}

/**
 * Store bookkeeping whose failure changes nothing for the call (a write after the response,
 * a lease given back): a throw or a rejection is dropped. A synchronous store costs no promise.
 */
export function quietly<T>(work: () => T | Promise<T>): T | undefined | Promise<T | undefined> {
  try {
    const pending = work();
    return isThenable(pending) ? Promise.resolve(pending).catch(() => undefined) : pending;
  } catch {
    return undefined;
  }
}

/** A listener of the application's own: what it throws is its business, never a call's. */
export function tell(listener: StateListener | undefined, state: SharedState): void {
  try {
    listener?.(state);
  } catch {
    // ignored on purpose
  }
}
