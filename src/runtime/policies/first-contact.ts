/**
 * First contact with a provider whose quota nobody has named yet (no config, no spec, no
 * instance of the fleet has heard from the server): one call goes first, and the calls
 * that come while it is out wait for its answer, whose rate-limit headers may name the
 * quota. Without this, a burst of first calls reaches the server unpaced and earns a 429
 * for every send past a quota the very first answer would have told. After that answer
 * (headers or not), calls go as the quota then known says. Each wait ends by the waiting
 * call's own deadline or signal.
 */
import type { Call } from "../core/call.js";
import { untilDeadline } from "../core/until-deadline.js";

export interface Turn {
  /** The first answer to wait for (ends by the call's deadline or signal), or undefined: this call goes now. */
  readonly wait?: () => Promise<void>;
  /** For the call that goes first: its answer is in (call once, whatever the outcome). */
  readonly done?: () => void;
}

const GO: Turn = Object.freeze({});

export class FirstContact {
  private answered = false;
  private first: Promise<void> | undefined;

  /** A call under an unnamed quota asks for its turn. */
  turn(call: Call): Turn {
    if (this.answered) return GO;
    const first = this.first;
    if (first !== undefined) return { wait: () => untilDeadline(first, call, "the first answer from the provider") };
    let release!: () => void;
    this.first = new Promise<void>((resolve) => (release = resolve));
    return {
      done: () => {
        this.answered = true;
        release();
      },
    };
  }
}
