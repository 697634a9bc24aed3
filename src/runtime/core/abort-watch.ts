/**
 * One abort listener per signal, however many waits it ends: apps share one signal across a
 * whole sync, and a listener per waiting call (a queued call, a backoff sleep) would pile up
 * on it (and trip Node's leak warning past ten).
 */

/** The waits each signal ends, behind its one listener. */
const watched = new WeakMap<AbortSignal, { readonly ends: Set<() => void>; readonly listener: () => void }>();

/** Ends `end` when `signal` aborts; returns how to stop watching (the listener leaves with the last wait). */
export function onAbort(signal: AbortSignal, end: () => void): () => void {
  let watch = watched.get(signal);
  if (watch === undefined) {
    const ends = new Set<() => void>();
    const listener = () => {
      watched.delete(signal);
      for (const f of ends) f();
    };
    watched.set(signal, (watch = { ends, listener }));
    signal.addEventListener("abort", listener, { once: true });
  }
  const { ends, listener } = watch;
  ends.add(end);
  return () => {
    ends.delete(end);
    if (ends.size === 0 && watched.get(signal)?.listener === listener) {
      watched.delete(signal);
      signal.removeEventListener("abort", listener);
    }
  };
}
