/**
 * Whether a client's attempts hand the platform's fetch an abort signal.
 *
 * Node's fetch pays for a signal on every request it is given one with (a listener, a weak
 * reference and a finalizer per request: counted on loopback, an eighth of a whole call's
 * instructions), although almost no attempt ever aborts. The attempt is bounded either way:
 * carewire's own timer settles it, and a body still arriving is cancelled, which frees its
 * socket. What only a signal frees is a socket still waiting for a server's answer.
 *
 * So a client sends without one until an attempt of its times out waiting for an answer (a
 * server that hangs), and with one from then on. Each socket that server held before is freed
 * when its answer comes (the body is cancelled, unread) or by fetch's own headers timeout (300 s
 * in Node). A call with a signal of the caller's, or a fetch of the caller's, always gets one.
 */
export class HangMemory {
  private hung = false;

  /** Whether attempts should carry a signal: a server of this client has hung. */
  get signalled(): boolean {
    return this.hung;
  }

  /** An attempt timed out before its answer came. */
  rememberHang(): void {
    this.hung = true;
  }
}
