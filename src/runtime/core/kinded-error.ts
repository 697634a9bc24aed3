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

  /**
   * What `JSON.stringify` writes of the error (a log line, a queue message): its name, kind and
   * message, which an Error keeps out of its enumerable fields, then its own fields as they
   * are, and the cause's name and message (no stack: a log line stays one line).
   */
  toJSON(): Record<string, unknown> {
    const fields: Record<string, unknown> = { ...(this as object) };
    // An Error of any realm (a test runner's vm makes its own): by shape, not instanceof.
    const given = this.cause as { name?: unknown; message?: unknown } | undefined;
    const cause = typeof given === "object" && given !== null && typeof given.message === "string" ? { name: given.name, message: given.message } : given;
    return { name: this.name, kind: this.kind, message: this.message, ...fields, ...(cause === undefined ? {} : { cause }) };
  }
}
