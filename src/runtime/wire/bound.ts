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

  /** Ends the attempt: the step in flight rejects with `error`, and so does every later one. The first failure wins. */
  fail(error: CarewireError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.rejectStep?.(error);
    this.rejectStep = undefined;
  }

  /** `work`, unless the attempt fails first. */
  within<T>(work: Promise<T>): Promise<T> {
    if (this.failure !== undefined) {
      // Its own failure, later, is nobody's to handle.
      work.catch(ignore);
      return Promise.reject(this.failure);
    }
    return new Promise<T>((resolve, reject) => {
      this.rejectStep = reject;
      work.then(
        (value) => {
          this.rejectStep = undefined;
          resolve(value);
        },
        (error: unknown) => {
          this.rejectStep = undefined;
          reject(error);
        },
      );
    });
  }
}
