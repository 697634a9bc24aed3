/**
 * A body an app's own server receives (a webhook, a FHIR notification), read with two
 * bounds: its size (a declared Content-Length over the bound is refused before reading a
 * byte; a body that grows past it stops being kept) and a deadline on the clock (a sender
 * that trickles bytes cannot hold a connection and its memory open). Each caller names the
 * typed errors its endpoint answers with.
 */
import type { IncomingMessage } from "node:http";
import { startTimer, type Clock } from "../core/clock.js";

export interface IncomingBodyLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly tooLarge: () => Error;
  readonly tooSlow: () => Error;
}

export function readIncomingBody(req: IncomingMessage, limits: IncomingBodyLimits): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limits.maxBytes) return Promise.reject(limits.tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: Error | undefined) => {
      cancelTimer();
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      if (error === undefined) return resolve(Buffer.concat(chunks));
      // Whatever else arrives is drained and dropped, so the answer can still be written.
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) stop(limits.tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => stop(undefined);
    const onError = (error: Error) => stop(error);
    const cancelTimer = startTimer(limits.clock, limits.timeoutMs, () => stop(limits.tooSlow()));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
