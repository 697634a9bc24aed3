/**
 * One abort listener per caller signal, however many waits it covers: apps share one
 * signal across a whole sync, and a listener per queued call would pile up on it.
 */
export class SignalWatch {
  private readonly watched = new Map<AbortSignal, number>();

  constructor(private readonly onAbort: () => void) {}

  watch(signal: AbortSignal): void {
    const waiting = this.watched.get(signal) ?? 0;
    if (waiting === 0) signal.addEventListener("abort", this.onAbort);
    this.watched.set(signal, waiting + 1);
  }

  unwatch(signal: AbortSignal): void {
    const waiting = this.watched.get(signal) ?? 0;
    if (waiting > 1) this.watched.set(signal, waiting - 1);
    else {
      this.watched.delete(signal);
      signal.removeEventListener("abort", this.onAbort);
    }
  }
}
