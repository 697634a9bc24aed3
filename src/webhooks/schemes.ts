/**
 * How a sender signs: which header holds the signature, how the MAC is written, what
 * content was signed and where the id and timestamp are. Standard Webhooks is the default;
 * the others show the same small object expressing GitHub's `X-Hub-Signature-256` and the
 * `t=…,v1=…` style. Every scheme here is HMAC-SHA256 over some text followed by the raw body.
 */

export interface SignedParts {
  readonly id: string | undefined;
  /** Unix seconds, when the scheme carries a timestamp. */
  readonly timestamp: number | undefined;
}

export interface WebhookScheme {
  /** Lower-case header name holding the signature(s). */
  readonly signatureHeader: string;
  /** How signatures sit in that header. */
  readonly format:
    /** Signatures separated by `separator` (none: one signature), each starting with `prefix` (`v1,`, `sha256=`). */
    | { readonly kind: "list"; readonly separator?: string; readonly prefix: string }
    /** `key=value` pairs separated by commas: the signatures under `signatureKey`, the timestamp under `timestampKey`. */
    | { readonly kind: "pairs"; readonly signatureKey: string; readonly timestampKey?: string };
  readonly encoding: "base64" | "hex";
  /** Lower-case header holding the event id; without it the id is the payload's `id`. */
  readonly idHeader?: string;
  /**
   * True when the id header is part of the signed content. When it is not, anyone holding one
   * captured delivery could send it again under new ids; the dedupe id is then taken from the
   * signed content instead (a hash of it), so a replay is always a duplicate.
   */
  readonly idSigned?: boolean;
  /** Lower-case header holding the timestamp (unix seconds), when not in the signature pairs. */
  readonly timestampHeader?: string;
  /** What comes before the raw body in the signed content. */
  signedPrefix(parts: SignedParts): string;
}

/** Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> v1,<base64>`. */
export const standardWebhooks: WebhookScheme = {
  signatureHeader: "webhook-signature",
  format: { kind: "list", separator: " ", prefix: "v1," },
  encoding: "base64",
  idHeader: "webhook-id",
  idSigned: true,
  timestampHeader: "webhook-timestamp",
  signedPrefix: ({ id, timestamp }) => `${id}.${timestamp}.`,
};

/** GitHub's `X-Hub-Signature-256: sha256=<hex>` over the body alone; no timestamp, and `X-GitHub-Delivery` is not signed, so the dedupe id is a hash of the body (dedupe is the only replay guard). */
export const hubSignature256: WebhookScheme = {
  signatureHeader: "x-hub-signature-256",
  format: { kind: "list", prefix: "sha256=" },
  encoding: "hex",
  idHeader: "x-github-delivery",
  signedPrefix: () => "",
};

/** The `t=<unix>,v1=<hex>` style, signed over `<t>.<body>`; the id is the payload's `id`. */
export function timestampPairs(signatureHeader: string): WebhookScheme {
  return {
    signatureHeader: signatureHeader.toLowerCase(),
    format: { kind: "pairs", signatureKey: "v1", timestampKey: "t" },
    encoding: "hex",
    signedPrefix: ({ timestamp }) => `${timestamp}.`,
  };
}
