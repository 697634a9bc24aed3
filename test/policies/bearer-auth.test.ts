/**
 * The bearer-token policy alone, with a token source the test controls: the header on the
 * plan, one token request however many calls wait, refresh before expiry, one refresh and
 * one resend on a 401, and the refusals when no token can be had.
 */
import { describe, expect, it } from "@jest/globals";
import { AuthenticationError, bearerAuthPolicy, MemoryTokenStore, type AttemptPlan, type IssuedToken, type TokenSource } from "carewire";
import { FakeClock, answered, planFor, scriptedNext, type PlanSetup } from "carewire/testing";
import { authorizationOf, deferred, heldStep, read, settle, telemetry, type Step } from "./support.js";

const status =
  (code: number): Step =>
  (plan) =>
    answered(plan, code);

/**
 * A token source issuing `tok-1`, `tok-2`, … that live `lifetimeMs`; `hold()` keeps the
 * next requests waiting until the test lets them go, `fail(error)` makes the next one throw.
 */
function tokenSource(init: { lifetimeMs?: number; refreshSkewMs?: number; value?: (n: number) => string } = {}) {
  let requests = 0;
  let gate: Promise<void> | undefined;
  let failure: unknown;
  const source: TokenSource = {
    clientId: "client-1",
    ...(init.refreshSkewMs !== undefined ? { refreshSkewMs: init.refreshSkewMs } : {}),
    async requestToken(): Promise<IssuedToken> {
      const n = ++requests;
      await gate;
      if (failure !== undefined) {
        const error = failure;
        failure = undefined;
        throw error;
      }
      return { value: init.value?.(n) ?? `tok-${n}`, expiresInMs: init.lifetimeMs };
    },
  };
  return {
    source,
    requests: () => requests,
    hold() {
      const released = deferred<void>();
      gate = released.promise;
      return () => {
        gate = undefined;
        released.resolve();
      };
    },
    fail(error: unknown) {
      failure = error;
    },
  };
}

/** The policy over a token source on a fake clock, and calls through it answered by `steps` (the last repeats). */
function authed(tokens: ReturnType<typeof tokenSource>, ...steps: Step[]) {
  const clock = new FakeClock({ start: 0 });
  const seen = telemetry();
  const policy = bearerAuthPolicy(tokens.source, { baseUrl: "http://stub.invalid", fetch: () => Promise.reject(new Error("no network here")), clock });
  const next = scriptedNext(...(steps.length > 0 ? steps : [status(200)]));
  const call = (setup: Partial<PlanSetup> = {}, plan?: AttemptPlan) =>
    policy(next)(plan ?? planFor({ operation: read({ security: "required" }), clock, onEvent: seen.onEvent, ...setup }));
  return { clock, seen, next, call, sentWith: () => authorizationOf(next.plans) };
}

describe("bearer auth: the token on the plan", () => {
  it("puts the token in an Authorization header on the plan it passes on, and keeps the rest of the plan", async () => {
    const tokens = tokenSource();
    const { next, call, seen } = authed(tokens);
    const plan: AttemptPlan = { ...planFor({ operation: read({ security: "required" }), onEvent: seen.onEvent }), headers: { "Idempotency-Key": "k-1" }, idempotencyKey: "k-1", attempt: 2, delayMs: 250 };

    const result = await call({}, plan);

    expect(next.plans[0]).toEqual({ ...plan, headers: { "Idempotency-Key": "k-1", Authorization: "Bearer tok-1" } });
    expect(result.verdict.outcome).toBe("ok");
    expect(JSON.stringify([result.notes, seen.events])).not.toContain("tok-1");
    expect(seen.of("token")).toEqual([expect.objectContaining({ action: "fetched" })]);
  });

  it("reuses one token for the calls that follow", async () => {
    const tokens = tokenSource();
    const { call, sentWith } = authed(tokens);
    for (let i = 0; i < 3; i++) await call();
    expect(tokens.requests()).toBe(1);
    expect(sentWith()).toEqual(["Bearer tok-1", "Bearer tok-1", "Bearer tok-1"]);
  });

  it("asks for one token however many calls wait for it (single flight)", async () => {
    const tokens = tokenSource();
    const release = tokens.hold();
    const { call, sentWith } = authed(tokens);

    const calls = Array.from({ length: 5 }, () => call());
    await settle();
    expect(sentWith()).toEqual([]);
    release();
    await Promise.all(calls);

    expect(tokens.requests()).toBe(1);
    expect(sentWith()).toEqual(Array(5).fill("Bearer tok-1"));
  });

  it("sends nothing and asks for no token for an operation that needs no credentials", async () => {
    const tokens = tokenSource();
    const { next, call } = authed(tokens);
    const plan = planFor({ operation: read({ security: "none" }) });

    await call({}, plan);

    expect(next.plans[0]).toBe(plan);
    expect(tokens.requests()).toBe(0);
  });
});

describe("bearer auth: refresh before expiry", () => {
  /** The tokens sent by calls at 0, at `ms` - 1 and at `ms` on the policy's clock. */
  async function tokensAround(tokens: ReturnType<typeof tokenSource>, ms: number) {
    const { clock, seen, call, sentWith } = authed(tokens);
    await call();
    await clock.advance(ms - 1);
    await call();
    await clock.advance(1);
    await call();
    return { sent: sentWith(), actions: seen.of("token").map((e) => e.action) };
  }

  it("fetches the next token 30 s before the current one expires, by default", async () => {
    expect(await tokensAround(tokenSource({ lifetimeMs: 60_000 }), 30_000)).toEqual({
      sent: ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"],
      actions: ["fetched", "refreshed"],
    });
  });

  it("takes the source's own margin", async () => {
    const { sent } = await tokensAround(tokenSource({ lifetimeMs: 60_000, refreshSkewMs: 10_000 }), 50_000);
    expect(sent).toEqual(["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
  });

  it("uses a token that lives less than twice the margin for half its life", async () => {
    const { sent } = await tokensAround(tokenSource({ lifetimeMs: 20_000 }), 10_000);
    expect(sent).toEqual(["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
  });
});

describe("bearer auth: a 401", () => {
  it("refreshes the token once and sends once more, as the next attempt, and joins both attempts", async () => {
    const tokens = tokenSource();
    const { next, call, sentWith } = authed(tokens, status(401), status(200));

    const result = await call();

    expect(tokens.requests()).toBe(2);
    expect(sentWith()).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(next.plans.map((p) => [p.attempt, p.delayMs])).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(result.verdict.outcome).toBe("ok");
    expect(result.notes.attempts.map((a) => [a.attempt, a.status, a.outcome, a.reason])).toEqual([
      [1, 401, "auth", "HTTP 401; token refreshed, sent once more"],
      [2, 200, "ok", "HTTP 200"],
    ]);
  });

  it("numbers the resend after the attempt it was given, with no wait", async () => {
    const { next, call } = authed(tokenSource(), status(401), status(200));
    await call({}, { ...planFor({ operation: read({ security: "required" }) }), attempt: 3, delayMs: 500 });
    expect(next.plans.map((p) => [p.attempt, p.delayMs])).toEqual([
      [3, 500],
      [4, 0],
    ]);
  });

  it("hands back a second 401 instead of refreshing again", async () => {
    const tokens = tokenSource();
    const { next, call } = authed(tokens, status(401));

    const result = await call();

    expect(next.plans).toHaveLength(2);
    expect(tokens.requests()).toBe(2);
    expect(result.exchange?.response.status).toBe(401);
    expect(result.notes.attempts.map((a) => a.status)).toEqual([401, 401]);
  });

  it("uses a token another call already refreshed instead of asking again", async () => {
    const tokens = tokenSource();
    const slow = heldStep();
    // The first call's answer is held; the second meets the 401 first and refreshes.
    const { call, sentWith } = authed(tokens, slow.step, status(401), status(200));

    const first = call();
    const second = call();
    await second;
    slow.release(status(401));
    const result = await first;

    expect(result.verdict.outcome).toBe("ok");
    expect(tokens.requests()).toBe(2);
    expect(sentWith()).toEqual(["Bearer tok-1", "Bearer tok-1", "Bearer tok-2", "Bearer tok-2"]);
  });

  it("refuses with the token error, keeping the 401 attempt, when the refresh fails", async () => {
    const tokens = tokenSource();
    const { next, call } = authed(tokens, status(401));
    await call();
    const refused = new AuthenticationError("invalid_client", { status: 400 });
    tokens.fail(refused);
    // The stored token is still good: only a 401 makes the policy ask again.
    const result = await call();

    expect(next.plans).toHaveLength(3);
    expect(result.error).toBe(refused);
    expect(result.notes.attempts.map((a) => a.status)).toEqual([401]);
  });
});

describe("bearer auth: no token", () => {
  it("refuses without calling next when the token request fails, reports it, and asks again on the next call", async () => {
    const tokens = tokenSource();
    const { next, seen, call } = authed(tokens);
    const refused = new AuthenticationError("invalid_client", { status: 400 });
    tokens.fail(refused);

    const result = await call();

    expect(result.error).toBe(refused);
    expect(result.notes).toEqual({ attempts: [] });
    expect(next.plans).toHaveLength(0);
    expect(seen.of("token").map((e) => e.action)).toEqual(["failed"]);
    expect((await call()).verdict.outcome).toBe("ok");
    expect(tokens.requests()).toBe(2);
  });

  it("turns anything else a token source throws into AuthenticationError, keeping it as the cause only", async () => {
    const tokens = tokenSource();
    const { call } = authed(tokens);
    const broken = new Error("vault unreachable at 10.0.0.7");
    tokens.fail(broken);

    const { error } = await call();

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error?.message).toBe("the token source failed");
    expect(error?.cause).toBe(broken);
  });

  it("refuses a token that is not a valid header value, without repeating it", async () => {
    const { next, call } = authed(tokenSource({ value: () => "tok-1\r\nX-Injected: yes" }));

    const { error } = await call();

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error?.message).not.toContain("tok-1");
    expect(next.plans).toHaveLength(0);
  });

  it("ends a call that waits for the token past its deadline with TimeoutError, and lets the others have it", async () => {
    const tokens = tokenSource();
    const release = tokens.hold();
    const { clock, call, sentWith } = authed(tokens);

    const hurried = call({ deadlineMs: 1_000 });
    const patient = call();
    await settle();
    await clock.advance(1_000);
    const late = await hurried;
    release();

    expect(late.error).toMatchObject({ kind: "timeout", phase: "deadline" });
    expect(late.notes).toEqual({ attempts: [] });
    expect((await patient).verdict.outcome).toBe("ok");
    expect(sentWith()).toEqual(["Bearer tok-1"]);
  });

  it("ends a call whose caller aborts while it waits for the token, and lets the others have it", async () => {
    const tokens = tokenSource();
    const release = tokens.hold();
    const { call, sentWith } = authed(tokens);
    const controller = new AbortController();

    const leaving = call({ options: { signal: controller.signal } });
    const staying = call();
    await settle();
    controller.abort(new Error("user left"));
    const left = await leaving;
    release();

    expect(left.error).toMatchObject({ kind: "aborted" });
    expect((await staying).verdict.outcome).toBe("ok");
    expect(sentWith()).toEqual(["Bearer tok-1"]);
    expect(tokens.requests()).toBe(1);
  });
});

describe("bearer auth: instances sharing a token store", () => {
  /** Two policies (two instances of an app) over one store and one token source, on one fake clock. */
  function fleet(tokens: ReturnType<typeof tokenSource>, ...steps: Step[]) {
    const clock = new FakeClock({ start: 0 });
    const store = new MemoryTokenStore();
    const instance = () => {
      const policy = bearerAuthPolicy(tokens.source, { baseUrl: "http://stub.invalid", fetch: () => Promise.reject(new Error("no network here")), clock }, { store, provider: "acme" });
      const next = scriptedNext(...(steps.length > 0 ? steps : [status(200)]));
      return { next, call: () => policy(next)(planFor({ operation: read({ security: "required" }), clock })) };
    };
    return { clock, a: instance(), b: instance() };
  }

  it("asks for one token for both: the second waits for the first's to appear in the store", async () => {
    const tokens = tokenSource();
    const release = tokens.hold();
    const { clock, a, b } = fleet(tokens);

    const first = a.call();
    await settle();
    const second = b.call();
    await settle();
    release();
    await first;
    await clock.advance(1_000);
    await second;

    expect(tokens.requests()).toBe(1);
    expect([...authorizationOf(a.next.plans), ...authorizationOf(b.next.plans)]).toEqual(["Bearer tok-1", "Bearer tok-1"]);
  });

  it("refreshes once after a 401 the two instances both meet: the second takes the first's new token", async () => {
    const tokens = tokenSource();
    const revoked = new Set<string | undefined>();
    const unlessRevoked: Step = (plan) => answered(plan, revoked.has(plan.headers.Authorization) ? 401 : 200);
    const { a, b } = fleet(tokens, unlessRevoked);
    await a.call();
    await b.call();
    expect(tokens.requests()).toBe(1);
    // The server revokes tok-1; both instances still hold it.
    revoked.add("Bearer tok-1");

    const [ra, rb] = [await a.call(), await b.call()];

    expect(tokens.requests()).toBe(2);
    expect([ra.verdict.outcome, rb.verdict.outcome]).toEqual(["ok", "ok"]);
    expect(authorizationOf(b.next.plans)).toEqual(["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
  });
});
