/**
 * The base of every carewire error family (the runtime's, the outbox's, webhooks', …): a
 * stable `kind` to switch on, which never changes between versions as messages may, and the
 * subclass's own name in `name` and in stack traces.
 */
export abstract class KindedError<Kind extends string = string> extends Error {
  abstract readonly kind: Kind;

  constructor(message?: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
