/**
 * Aborting an attempt Node's fetch is running, without handing it an AbortSignal.
 *
 * A signal costs Node's fetch a listener, a weak reference and a finalizer on every request
 * (a call against a fast local server counted 1.35M instructions with one, 1.26–1.29M without).
 * Yet the attempt needs a way to free its socket when its timer fires, or a script whose
 * server never answers cannot exit until fetch's own headers timeout (300 s).
 *
 * Node's fetch takes a `dispatcher` in its init (undici's own option) and hands the request to
 * it. The attempt passes one that forwards to the process's global dispatcher, looked up at
 * that moment (so a proxy or mock agent the app installed still applies), and keeps the abort
 * undici gives the request's handler once a connection is assigned: `onConnect(abort)` on
 * Node 20 and 22, `onRequestStart(controller)` where undici's newer handler interface is used.
 * That abort destroys the socket, as fetch's own signal would.
 *
 * Only for the platform's fetch on Node; a caller's fetch, a browser and any fetch that turns
 * out not to dispatch through it (one a mocking library put in `globalThis.fetch`) get the
 * attempt's signal instead.
 */

/** Where undici (Node's bundled copy and the npm package alike) keeps the process's dispatcher. */
const GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");

interface Dispatcher {
  dispatch(options: object, handler: object): boolean;
}

type Handler = Record<string, unknown>;
type Method = (this: unknown, connection: unknown, context: unknown) => unknown;
/** What undici hands a request's handler to abort it: a function (`onConnect`) or a controller (`onRequestStart`). */
type Connection = ((reason: Error) => void) | { abort(reason: Error): void };

/** Set once a platform fetch answered without dispatching through the attempt's dispatcher: it is not undici's, so signals from then on. */
let dispatcherIgnored = false;

function globalDispatcher(): Dispatcher | undefined {
  const found = (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER] as Partial<Dispatcher> | undefined;
  return typeof found?.dispatch === "function" ? (found as Dispatcher) : undefined;
}

function abortVia(connection: Connection, reason: Error): void {
  if (typeof connection === "function") connection(reason);
  else connection.abort(reason);
}

/**
 * One attempt's way to destroy its request's socket. It is itself the dispatcher fetch is
 * handed (`dispatcher`), so an attempt makes one object for it, not three.
 */
export class SocketAbort implements Dispatcher {
  private connection: Connection | undefined;
  private reason: Error | undefined;
  private dispatched = false;

  /** Goes in fetch's init; used for every hop of the attempt (each hop's connection replaces the last). */
  get dispatcher(): Dispatcher {
    return this;
  }

  dispatch(options: object, handler: object): boolean {
    this.dispatched = true;
    // The global dispatcher exists by now: undici installs one when it loads, before any dispatch.
    const target = globalDispatcher();
    if (target === undefined) throw new TypeError("no global dispatcher to send through");
    return target.dispatch(options, this.watch(handler as Handler));
  }

  /** Destroys the request's socket; before a connection is assigned, as soon as one is. Later calls do nothing. */
  abort(reason: Error): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    if (this.connection !== undefined) abortVia(this.connection, reason);
  }

  /** Called when a response came: one that never went through `dispatcher` tells the process to use signals. */
  confirm(): void {
    if (!this.dispatched) dispatcherIgnored = true;
  }

  /**
   * Fetch's handler, its connect method wrapped to keep what it is handed. The method is
   * replaced on fetch's own object, made for this one request, rather than on a copy with the
   * handler as its prototype: a new prototype per request costs V8 more than the signal did.
   * Fetch's own method runs first, on its own object, so it knows of the connection before
   * an abort that came early reaches it.
   */
  private watch(handler: Handler): Handler {
    const name = typeof handler["onRequestStart"] === "function" ? "onRequestStart" : "onConnect";
    const original = handler[name] as Method | undefined;
    const self = this;
    handler[name] = function (this: unknown, connection: unknown, context: unknown) {
      const result = original?.call(this, connection, context);
      self.connected(connection as Connection);
      return result;
    };
    return handler;
  }

  private connected(connection: Connection): void {
    this.connection = connection;
    if (this.reason !== undefined) abortVia(connection, this.reason);
  }
}

/** An abort for this attempt's platform fetch, or undefined where only a signal will do. */
export function socketAbortFor(): SocketAbort | undefined {
  return dispatcherIgnored || globalDispatcher() === undefined ? undefined : new SocketAbort();
}

/** For tests: forget that a fetch was found ignoring the dispatcher. */
export function resetSocketAbortDetection(): void {
  dispatcherIgnored = false;
}
