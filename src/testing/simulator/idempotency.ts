/**
 * Server-side idempotency keys, as Stripe does them: the first request with a key
 * runs and its response is stored; the same key with the same request replays that
 * response; the same key with a different request is a client bug (422); a second
 * request while the first is still running gets 409.
 */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

type Entry = { readonly fingerprint: string; state: "in-flight" } | { readonly fingerprint: string; state: "done"; response: StoredResponse };

export type IdempotencyDecision =
  | { readonly action: "proceed" }
  | { readonly action: "replay"; readonly response: StoredResponse }
  | { readonly action: "mismatch" }
  | { readonly action: "in-flight" };

/** Printable ASCII without spaces at the ends, 1–255 characters: anything else is a garbage key. */
export function validIdempotencyKey(key: string): boolean {
  return key.length > 0 && key.length <= 255 && /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(key);
}

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  begin(scope: string, key: string, fingerprint: string): IdempotencyDecision {
    const id = `${scope}\u0000${key}`;
    const entry = this.entries.get(id);
    if (!entry) {
      this.entries.set(id, { fingerprint, state: "in-flight" });
      return { action: "proceed" };
    }
    if (entry.fingerprint !== fingerprint) return { action: "mismatch" };
    if (entry.state === "in-flight") return { action: "in-flight" };
    return { action: "replay", response: entry.response };
  }

  complete(scope: string, key: string, response: StoredResponse): void {
    const id = `${scope}\u0000${key}`;
    const entry = this.entries.get(id);
    if (entry) this.entries.set(id, { fingerprint: entry.fingerprint, state: "done", response });
  }

  /** The request failed before it executed: the key may be used again. */
  abandon(scope: string, key: string): void {
    const id = `${scope}\u0000${key}`;
    if (this.entries.get(id)?.state === "in-flight") this.entries.delete(id);
  }

  reset(): void {
    this.entries.clear();
  }
}
