/**
 * The SDK's request body, read once into bytes so every attempt can carry it again (a
 * body, a stream above all, can be read only once). Reading is bounded twice: a body
 * larger than `maxBytes` is refused before anything is sent (rather than sent without the
 * possibility of a retry), and a stream that stalls ends at the call's deadline or the
 * caller's abort.
 */
import { startTimer, type Clock } from "../core/clock.js";
import { AbortedError, LimitExceededError, TimeoutError } from "../core/errors.js";
import { AttemptBound } from "../wire/bound.js";
import { readStreamCapped } from "../wire/read-capped.js";
import { onAbort } from "../core/abort-watch.js";

/** Most request-body bytes carewireFetch holds for replay when none is set: 16 MiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export interface BodyReadBounds {
  readonly maxBytes: number;
  /** The call's whole time: the body must be read well within it. */
  readonly timeoutMs: number;
  readonly clock: Clock | undefined;
  readonly signal: AbortSignal | undefined;
}

/** The body's bytes, undefined when the request has none. */
export async function bufferRequestBody(request: Request, bounds: BodyReadBounds): Promise<Uint8Array | undefined> {
  if (request.body === null) return undefined;
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > bounds.maxBytes) {
    void request.body.cancel().catch(() => undefined);
    throw new LimitExceededError("request-bytes", bounds.maxBytes);
  }
  const bound = new AttemptBound();
  const cancelTimer = Number.isFinite(bounds.timeoutMs) ? startTimer(bounds.clock, bounds.timeoutMs, () => bound.fail(new TimeoutError(bounds.timeoutMs, "deadline", "the request body"))) : undefined;
  // One listener per signal however many requests share it (an SDK's whole batch may).
  const fail = () => bound.fail(new AbortedError(bounds.signal?.reason));
  let stopWatching: (() => void) | undefined;
  if (bounds.signal?.aborted) fail();
  else if (bounds.signal) stopWatching = onAbort(bounds.signal, fail);
  try {
    return await readStreamCapped(request.body, bounds.maxBytes, bound, "request-bytes");
  } finally {
    cancelTimer?.();
    stopWatching?.();
  }
}
