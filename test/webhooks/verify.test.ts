/**
 * Verification on the raw body: what a genuine sender signs is accepted, anything changed
 * on the way (secret, body, id, timestamp) is refused with a typed reason, the timestamp
 * tolerance holds to the second on a fake clock, and rotation accepts both secrets until
 * the old one is removed. Other schemes are expressed by the same small object.
 */
import { describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { FakeClock } from "../../src/testing/fake-clock.js";
import {
  hubSignature256,
  signWebhook,
  timestampPairs,
  verifyWebhook,
  webhookVerifier,
  WebhookConfigError,
  WebhookMalformedError,
  WebhookSignatureError,
  WebhookTimestampError,
  WebhookTooLargeError,
} from "../../src/webhooks/index.js";

const SECRET = `whsec_${Buffer.from("a secret of thirty-two bytes!!!!").toString("base64")}`;
const OTHER = `whsec_${Buffer.from("another secret, also 32 bytes!!!").toString("base64")}`;
const clock = new FakeClock({ start: 1_800_000_000_000 });
const NOW = 1_800_000_000;
const BODY = '{"type":"patient.updated","data":{"id":"pat-1"}}';

async function signed(body = BODY, options: { id?: string; timestamp?: number; secret?: string } = {}) {
  const headers = await signWebhook(body, { secret: options.secret ?? SECRET, id: options.id ?? "msg_1", timestamp: options.timestamp ?? NOW });
  return { headers, body };
}
const verify = (request: { headers: Record<string, string>; body: string | Uint8Array }, secrets: string | string[] = SECRET, extra: { toleranceSeconds?: number; maxBodyBytes?: number } = {}) =>
  verifyWebhook(request, { secrets, clock, ...extra });

describe("verifyWebhook (Standard Webhooks)", () => {
  it("accepts a genuine delivery and gives its id, timestamp, type, parsed payload and raw text", async () => {
    const event = await verify(await signed());
    expect(event).toEqual({ id: "msg_1", timestamp: NOW, type: "patient.updated", payload: { type: "patient.updated", data: { id: "pat-1" } }, raw: BODY });
  });

  it("checks the raw bytes, not a re-serialized body: the same JSON with other spacing is refused", async () => {
    const request = await signed();
    await expect(verify({ ...request, body: JSON.stringify(JSON.parse(BODY), null, 1) })).rejects.toBeInstanceOf(WebhookSignatureError);
    await expect(verify({ ...request, body: new TextEncoder().encode(BODY) })).resolves.toMatchObject({ id: "msg_1" });
  });

  it("refuses a wrong secret, a tampered body, a tampered id and a tampered timestamp as forged", async () => {
    const request = await signed();
    await expect(verify(await signed(BODY, { secret: OTHER }))).rejects.toMatchObject({ kind: "webhook-signature" });
    await expect(verify({ ...request, body: BODY.replace("pat-1", "pat-2") })).rejects.toBeInstanceOf(WebhookSignatureError);
    await expect(verify({ ...request, headers: { ...request.headers, "webhook-id": "msg_2" } })).rejects.toBeInstanceOf(WebhookSignatureError);
    await expect(verify({ ...request, headers: { ...request.headers, "webhook-timestamp": String(NOW + 1) } })).rejects.toBeInstanceOf(WebhookSignatureError);
  });

  it("says nothing of the body, the signature or the secret in a refusal", async () => {
    const request = await signed();
    const error = await verify({ ...request, body: BODY.replace("pat-1", "pat-9") }).then(() => new Error("verified"), (e: unknown) => e as Error);
    expect(error.message).not.toMatch(/pat-|whsec|v1,/);
  });

  it("accepts a timestamp exactly at the tolerance either way and refuses one second past it, with the reason", async () => {
    await expect(verify(await signed(BODY, { timestamp: NOW - 300 }))).resolves.toMatchObject({ id: "msg_1" });
    await expect(verify(await signed(BODY, { timestamp: NOW + 300 }))).resolves.toMatchObject({ id: "msg_1" });
    await expect(verify(await signed(BODY, { timestamp: NOW - 301 }))).rejects.toMatchObject({ kind: "webhook-timestamp", reason: "too-old", skewSeconds: 301 });
    await expect(verify(await signed(BODY, { timestamp: NOW + 301 }))).rejects.toMatchObject({ kind: "webhook-timestamp", reason: "too-new" });
    await expect(verify(await signed(BODY, { timestamp: NOW - 30 }), SECRET, { toleranceSeconds: 10 })).rejects.toBeInstanceOf(WebhookTimestampError);
  });

  it("refuses a replay of a genuine delivery once the clock has moved past the tolerance", async () => {
    const replayClock = new FakeClock({ start: NOW * 1000 });
    const request = await signed();
    await expect(verifyWebhook(request, { secrets: SECRET, clock: replayClock })).resolves.toMatchObject({ id: "msg_1" });
    replayClock.advance(301_000);
    await expect(verifyWebhook(request, { secrets: SECRET, clock: replayClock })).rejects.toMatchObject({ reason: "too-old" });
  });

  it("accepts old and new secrets together during a rotation, and refuses the old one once it is removed", async () => {
    const byOld = await signed(BODY, { secret: SECRET });
    const byNew = await signed(BODY, { secret: OTHER });
    await expect(verify(byOld, [OTHER, SECRET])).resolves.toMatchObject({ id: "msg_1" });
    await expect(verify(byNew, [OTHER, SECRET])).resolves.toMatchObject({ id: "msg_1" });
    await expect(verify(byOld, [OTHER])).rejects.toBeInstanceOf(WebhookSignatureError);
    // A sender in the middle of a rotation signs with both: one match is enough.
    const both = { ...byNew, headers: { ...byNew.headers, "webhook-signature": `${byNew.headers["webhook-signature"]} ${byOld.headers["webhook-signature"]}` } };
    await expect(verify(both, [SECRET])).resolves.toMatchObject({ id: "msg_1" });
  });

  it("accepts raw string and byte secrets besides whsec_, and refuses a whsec_ secret that is not base64", async () => {
    const raw = await signWebhook(BODY, { secret: "plain-text-secret", id: "msg_1", timestamp: NOW });
    await expect(verify({ headers: raw, body: BODY }, "plain-text-secret")).resolves.toMatchObject({ id: "msg_1" });
    await expect(verifyWebhook({ headers: raw, body: BODY }, { secrets: new TextEncoder().encode("plain-text-secret"), clock })).resolves.toMatchObject({ id: "msg_1" });
    expect(() => webhookVerifier({ secrets: "whsec_not*base64" })).toThrow(WebhookConfigError);
    expect(() => webhookVerifier({ secrets: [] })).toThrow(WebhookConfigError);
  });

  it("refuses missing or unreadable headers and a body that is not JSON as malformed", async () => {
    const { headers } = await signed();
    const without = (name: string) => Object.fromEntries(Object.entries(headers).filter(([k]) => k !== name));
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) await expect(verify({ headers: without(name), body: BODY })).rejects.toBeInstanceOf(WebhookMalformedError);
    await expect(verify({ headers: { ...headers, "webhook-timestamp": "soon" }, body: BODY })).rejects.toBeInstanceOf(WebhookMalformedError);
    await expect(verify({ headers: { ...headers, "webhook-id": "two words" }, body: BODY })).rejects.toBeInstanceOf(WebhookMalformedError);
    await expect(verify({ headers: { ...headers, "webhook-signature": "v1,@@@ garbage" }, body: BODY })).rejects.toBeInstanceOf(WebhookSignatureError);
    await expect(verify(await signed("not json"))).rejects.toMatchObject({ kind: "webhook-malformed" });
    const notUtf8 = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    const bytes = { headers: await signWebhook(notUtf8, { secret: SECRET, id: "msg_1", timestamp: NOW }), body: notUtf8 };
    await expect(verify(bytes)).rejects.toThrow("not UTF-8");
  });

  it("reads header names in any case and from a Fetch Headers object", async () => {
    const { headers } = await signed();
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    await expect(verify({ headers: upper, body: BODY })).resolves.toMatchObject({ id: "msg_1" });
    await expect(verifyWebhook({ headers: new Headers(headers), body: BODY }, { secrets: SECRET, clock })).resolves.toMatchObject({ id: "msg_1" });
  });

  it("refuses a body over maxBodyBytes before computing anything", async () => {
    const big = JSON.stringify({ note: "x".repeat(2_000) });
    await expect(verify(await signed(big), SECRET, { maxBodyBytes: 1_000 })).rejects.toEqual(new WebhookTooLargeError(1_000));
    await expect(verify(await signed(big), SECRET, { maxBodyBytes: 4_000 })).resolves.toMatchObject({ id: "msg_1" });
  });

  it("types the payload through `parse`, and refuses one that does not fit as malformed without quoting it", async () => {
    const parse = (payload: unknown) => {
      const p = payload as { type?: unknown };
      if (p.type !== "patient.updated") throw new Error(`unexpected ${JSON.stringify(payload)}`);
      return p as { type: "patient.updated" };
    };
    await expect(verifyWebhook(await signed(), { secrets: SECRET, clock, parse })).resolves.toMatchObject({ payload: { type: "patient.updated" } });
    const error = await verifyWebhook(await signed('{"type":"x","ssn":"123"}'), { secrets: SECRET, clock, parse }).then(() => new Error("verified"), (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(WebhookMalformedError);
    expect(error.message).not.toContain("123");
    // The parser's own error quotes the payload: it is not kept as the cause either, only its class name.
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain("123");
    expect(error).toMatchObject({ parseError: "Error" });
  });
});

describe("other schemes", () => {
  it("verifies GitHub's X-Hub-Signature-256 (hex, sha256= prefix, body only; the unsigned delivery id does not name the event)", async () => {
    const headers = await signWebhook(BODY, { secret: "gh-secret", id: "72d3162e-cc78-11e3", scheme: hubSignature256 });
    expect(headers["x-hub-signature-256"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    const bodyHash = createHash("sha256").update(BODY).digest("hex");
    await expect(verifyWebhook({ headers, body: BODY }, { secrets: "gh-secret", scheme: hubSignature256 })).resolves.toMatchObject({ id: `sha256:${bodyHash}`, timestamp: undefined });
    // A captured delivery sent again under another delivery id is the same event: a replay stays a duplicate.
    const replayed = { ...headers, "x-github-delivery": "replay-2" };
    await expect(verifyWebhook({ headers: replayed, body: BODY }, { secrets: "gh-secret", scheme: hubSignature256 })).resolves.toMatchObject({ id: `sha256:${bodyHash}` });
    await expect(verifyWebhook({ headers, body: `${BODY} ` }, { secrets: "gh-secret", scheme: hubSignature256 })).rejects.toBeInstanceOf(WebhookSignatureError);
  });

  it("verifies the t=…,v1=… style with the timestamp inside the signature header and the id from the payload", async () => {
    const scheme = timestampPairs("Provider-Signature");
    const body = '{"id":"evt_1","type":"invoice.paid"}';
    const headers = await signWebhook(body, { secret: "pairs-secret", timestamp: NOW, scheme });
    expect(headers["provider-signature"]).toMatch(new RegExp(`^t=${NOW},v1=[0-9a-f]{64}$`));
    await expect(verifyWebhook({ headers, body }, { secrets: "pairs-secret", scheme, clock })).resolves.toMatchObject({ id: "evt_1", timestamp: NOW, type: "invoice.paid" });
    const moved = { "provider-signature": headers["provider-signature"]!.replace(`t=${NOW}`, `t=${NOW + 1}`) };
    await expect(verifyWebhook({ headers: moved, body }, { secrets: "pairs-secret", scheme, clock })).rejects.toBeInstanceOf(WebhookSignatureError);
    const late = await signWebhook(body, { secret: "pairs-secret", timestamp: NOW - 400, scheme });
    await expect(verifyWebhook({ headers: late, body }, { secrets: "pairs-secret", scheme, clock })).rejects.toMatchObject({ reason: "too-old" });
  });
});
