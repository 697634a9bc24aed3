/**
 * The bound on one attempt's steps (the fetch, each body read): a timeout or an abort
 * rejects the step in flight, and every step after it, whatever the work underneath does.
 *
 * Each step gets its own promise, settled by the work or by the failure, rather than a
 * race against one promise that stays pending for the whole attempt: a race leaves its
 * reactions on that pending promise, and the attempt's objects then outlive a young-
 * generation GC (measured: more than twice the promoted bytes per call).
 */
import type { CarewireError } from "../core/errors.js";

const ignore = () => undefined;

export class AttemptBound {
  private failure: CarewireError | undefined;
  private rejectStep: ((error: CarewireError) => void) | undefined;
  private onFailure: (() => void) | undefined;

  /** Ends the attempt: the step in flight rejects with `error`, and so does every later one. The first failure wins. */
  fail(error: CarewireError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.rejectStep?.(error);
    this.rejectStep = undefined;
    this.onFailure?.();
  }

  /** `work`, unless the attempt fails first. */
  within<T>(work: Promise<T>): Promise<T> {
    if (this.failure !== undefined) {
      // Its own failure, later, is nobody's to handle.
      work.catch(ignore);
      return Promise.reject(this.failure);
    }
    // A step settled by its work keeps its reject here until the next step: rejecting a
    // settled promise does nothing, and no wrapper closures are made per step.
    return new Promise<T>((resolve, reject) => {
      this.rejectStep = reject;
      work.then(resolve, reject);
    });
  }

  /**
   * Runs `stop` when the attempt fails (at once if it already has), until the returned
   * function is called: for work that can be stopped from outside, as a stream reader is
   * by cancelling it, so its steps need no promise of their own.
   */
  whenFailed(stop: () => void): () => void {
    if (this.failure !== undefined) stop();
    else this.onFailure = stop;
    return () => {
      if (this.onFailure === stop) this.onFailure = undefined;
    };
  }

  /** Throws the failure that ended the attempt, if one has. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
