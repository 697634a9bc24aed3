/**
 * The idempotency policy alone: which calls get a key, where the key comes from, what the
 * plan it passes on carries, and what it refuses without sending anything.
 */
import { describe, expect, it } from "@jest/globals";
import { composePolicies, deriveIdempotencyKey, idempotencyPolicy, InvalidRequestError, retryPolicy, UnknownOutcomeError, type AttemptPlan, type CallOptions } from "carewire";
import { FakeClock, answered, planFor, scriptedNext, type PlanSetup } from "carewire/testing";
import { create, read, update } from "./support.js";

const RANDOM_KEY = /^cw1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A write that answers 201, through the idempotency policy; what reached `next` and what came back. */
async function keyed(setup: Partial<PlanSetup> = {}) {
  const next = scriptedNext((plan) => answered(plan, 201));
  const plan = planFor({ operation: create(), ...setup });
  const result = await idempotencyPolicy()(next)(plan);
  return { plan, sent: next.plans[0], sends: next.plans.length, result };
}

/** The key a write got from its call options. */
const keyFrom = async (options: CallOptions) => (await keyed({ options })).sent?.idempotencyKey;

describe("idempotency: which calls get a key", () => {
  it("passes a safe call on as it is", async () => {
    const { plan, sent, result } = await keyed({ operation: read() });
    expect(sent).toBe(plan);
    expect(result.notes.idempotencyKey).toBeUndefined();
  });

  it.each([
    ["an unsafe write (POST)", create()],
    ["an idempotent write (PUT)", update()],
  ])("gives %s a fresh random key, in the header, on the plan, and in the notes; the write becomes replay-safe", async (_what, operation) => {
    const { sent, result } = await keyed({ operation });

    const key = sent?.idempotencyKey;
    expect(key).toMatch(RANDOM_KEY);
    expect(sent?.headers).toEqual({ "Idempotency-Key": key });
    expect(sent?.replaySafe).toBe(true);
    expect(result.notes.idempotencyKey).toBe(key);
    expect(result.verdict.outcome).toBe("ok");
  });

  it("sends a key where the spec declares none, but does not count on it: the write is not replay-safe", async () => {
    const { sent, result } = await keyed({ operation: create({ hints: {} }) });
    expect(sent?.idempotencyKey).toMatch(RANDOM_KEY);
    expect(sent?.headers).toEqual({ "Idempotency-Key": sent?.idempotencyKey });
    expect(sent?.replaySafe).toBe(false);
    expect(result.notes.idempotencyKey).toBe(sent?.idempotencyKey);
    // A repeat there is not sent, key or no key.
    for (const options of [{ repeat: true }, { idempotencyKey: "given", repeat: true }] satisfies CallOptions[]) {
      const repeat = await keyed({ operation: create({ hints: {} }), options });
      expect(repeat.sends).toBe(0);
      expect(repeat.result.error).toMatchObject({ kind: "unknown-outcome", replaySafe: false });
    }
  });

  it("gives every call its own random key", async () => {
    const keys = await Promise.all([1, 2, 3].map(() => keyFrom({})));
    expect(new Set(keys).size).toBe(3);
  });

  it("keeps the headers earlier policies put on the plan", async () => {
    const next = scriptedNext((plan) => answered(plan, 201));
    const plan: AttemptPlan = { ...planFor({ operation: create() }), headers: { "X-Trace": "t-1" } };
    await idempotencyPolicy()(next)(plan);
    expect(Object.keys(next.plans[0]!.headers)).toEqual(["X-Trace", "Idempotency-Key"]);
  });

  it("sends one key on every attempt of a call, however many retries it takes", async () => {
    const next = scriptedNext(
      (plan) => answered(plan, 503),
      (plan) => answered(plan, 502),
      (plan) => answered(plan, 201),
    );
    const send = composePolicies([idempotencyPolicy(), retryPolicy({ budget: false })], next);

    const result = await send(planFor({ operation: create(), clock: new FakeClock({ autoAdvance: true }) }));

    const keys = next.plans.map((p) => p.headers["Idempotency-Key"]);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(result.notes.idempotencyKey).toBe(keys[0]);
    expect(result.notes.attempts).toHaveLength(3);
  });
});

describe("idempotency: where the key comes from", () => {
  it("uses the caller's key as it is", async () => {
    expect(await keyFrom({ idempotencyKey: "order-42" })).toBe("order-42");
  });

  it("uses a key the caller put in the operation's header parameter, whatever its case", async () => {
    const { sent, result } = await keyed({ input: { params: { header: { "idempotency-key": "from-header" } }, body: {} } });
    expect(sent?.idempotencyKey).toBe("from-header");
    expect(result.notes.idempotencyKey).toBe("from-header");
  });

  it("uses a key the caller put in the call's own headers, instead of replacing it", async () => {
    const { sent, result } = await keyed({ options: { headers: { "IDEMPOTENCY-KEY": "from-call-headers" } } });
    expect(sent?.idempotencyKey).toBe("from-call-headers");
    expect(sent?.headers["Idempotency-Key"]).toBe("from-call-headers");
    expect(result.notes.idempotencyKey).toBe("from-call-headers");
  });

  it("prefers the caller's option to the header parameter, and ignores an empty header parameter", async () => {
    const input = (value: string) => ({ params: { header: { "Idempotency-Key": value } } });
    expect((await keyed({ input: input("from-header"), options: { idempotencyKey: "from-option" } })).sent?.idempotencyKey).toBe("from-option");
    expect((await keyed({ input: input("") })).sent?.idempotencyKey).toMatch(RANDOM_KEY);
  });

  it("derives a stable key from a business key: the same for the same write, never the business key in clear", async () => {
    const businessKey = { mrn: "MRN-123456", slot: "2030-01-01T09:00" };

    const first = await keyFrom({ businessKey });
    const again = await keyFrom({ businessKey: { slot: "2030-01-01T09:00", mrn: "MRN-123456" } });

    expect(first).toBe(deriveIdempotencyKey("test", "createThing", businessKey));
    expect(again).toBe(first);
    expect(first).not.toContain("MRN");
    expect(await keyFrom({ businessKey: { ...businessKey, mrn: "MRN-123457" } })).not.toBe(first);
  });

  it("sends the key in the header the operation names", async () => {
    const operation = create({ hints: { idempotency: { header: "X-Request-Key", required: false } } });

    const { sent } = await keyed({ operation, input: { params: { header: { "x-request-key": "given" } } } });

    expect(sent?.headers).toEqual({ "X-Request-Key": "given" });
    expect(sent?.idempotencyKey).toBe("given");
  });
});

describe("idempotency: servers that ignore keys", () => {
  const ignoring = create({ hints: { idempotency: { header: "Idempotency-Key", required: false, automatic: false } } });

  it("makes no key up: the plan goes on as it is, not replay-safe", async () => {
    const { plan, sent, result } = await keyed({ operation: ignoring });
    expect(sent).toBe(plan);
    expect(sent?.replaySafe).toBe(false);
    expect(result.notes.idempotencyKey).toBeUndefined();
  });

  it("still sends a key the caller gives, but the key alone does not make a repeat safe there", async () => {
    const { sent } = await keyed({ operation: ignoring, options: { idempotencyKey: "given" } });
    expect(sent).toMatchObject({ idempotencyKey: "given", replaySafe: false, headers: { "Idempotency-Key": "given" } });
  });

  it("a conditional write (replaySafe) is safe to repeat there, key or not", async () => {
    const { sent } = await keyed({ operation: ignoring, options: { idempotencyKey: "given", replaySafe: true } });
    expect(sent).toMatchObject({ idempotencyKey: "given", replaySafe: true });
  });

  it("a call marked `repeat` is not sent where a repeat would apply the write again, and says so", async () => {
    for (const options of [{ idempotencyKey: "given", repeat: true }, { repeat: true }] satisfies CallOptions[]) {
      const { sends, result } = await keyed({ operation: ignoring, options });
      expect(sends).toBe(0);
      expect(result.error).toBeInstanceOf(UnknownOutcomeError);
      expect(result.error).toMatchObject({ kind: "unknown-outcome", replaySafe: false, idempotencyKey: options.idempotencyKey });
      expect(result.error?.message).toMatch(/does not say it honours idempotency keys\): not sent/);
    }
    // Conditional there, or on a server that honours its key: sent as any call.
    expect((await keyed({ operation: ignoring, options: { repeat: true, replaySafe: true } })).sends).toBe(1);
    expect((await keyed({ options: { idempotencyKey: "given", repeat: true } })).sent).toMatchObject({ idempotencyKey: "given", replaySafe: true });
  });
});

describe("idempotency: keys it refuses", () => {
  it.each([
    ["empty", ""],
    ["with a line break", "order\r\nX-Injected: 1"],
    ["with non-ASCII characters", "commande-é"],
    ["longer than 255 characters", "k".repeat(256)],
  ])("refuses a key %s with InvalidRequestError, sending nothing and quoting nothing", async (_what, key) => {
    const { sends, result } = await keyed({ options: { idempotencyKey: key } });

    expect(sends).toBe(0);
    expect(result.error).toBeInstanceOf(InvalidRequestError);
    expect(result.error?.message).toBe("createThing: the idempotency key must be 1 to 255 visible ASCII characters");
    expect(result.notes).toEqual({ attempts: [] });
    expect(result.verdict.outcome).toBe("permanent");
  });

  it("accepts a key of exactly 255 visible characters, spaces included", async () => {
    const key = `a b${"k".repeat(252)}`;
    expect(await keyFrom({ idempotencyKey: key })).toBe(key);
  });
});
