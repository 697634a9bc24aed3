/**
 * A request body read with two bounds: its size (a declared Content-Length over the bound is
 * refused before reading a byte; a body that grows past it stops being read) and a deadline
 * (a sender that trickles bytes cannot hold a connection and its memory open).
 */
import type { IncomingMessage } from "node:http";
import { startTimer, type Clock } from "../runtime/core/clock.js";
import { WebhookTimeoutError, WebhookTooLargeError } from "./errors.js";

export function readBoundedBody(req: IncomingMessage, maxBytes: number, timeoutMs: number, clock: Clock): Promise<Uint8Array> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(new WebhookTooLargeError(maxBytes));
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
      if (size > maxBytes) stop(new WebhookTooLargeError(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => stop(undefined);
    const onError = (error: Error) => stop(error);
    const cancelTimer = startTimer(clock, timeoutMs, () => stop(new WebhookTimeoutError(timeoutMs)));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
