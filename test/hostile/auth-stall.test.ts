/**
 * Token endpoints that stall — never answer, answer late, or throttle past the caller's
 * deadline — against the generated clinic client's client-credentials auth. Each call
 * settles by its own deadline (the wait for a shared token is bounded per call), later
 * calls on the same client are not wedged behind the stuck request, and once the endpoint
 * behaves again calls succeed. Kept apart from auth.test.ts so the two run in parallel.
 */
import { describe, expect, it, jest } from "@jest/globals";
import { delayed, json, never, token, type HostileServer } from "../helpers/hostile-server.js";
import { apiCalls, authed, bearerApi, eventuallySucceeds, expectNoSecrets, failure, hostilePair, readPatient, seenBy, TOKEN, TOKEN_ROUTE, tokenCalls } from "./assertions.js";

jest.setTimeout(30_000);

let hostile: HostileServer;
hostilePair((api) => void (hostile = api).on("GET /patients/:id", bearerApi()));

describe("token endpoints that stall", () => {
  it("never answers: the call settles by its deadline, a later call settles too, and calls succeed once the endpoint recovers", async () => {
    hostile.on(TOKEN_ROUTE, never());
    const r = authed(hostile, { timeoutMs: 500, deadlineMs: 1500 });
    const first = await readPatient(r);
    const e1 = failure(first, "timeout", "auth-failed");
    if (e1.kind === "timeout") expect(e1.phase).toBe("deadline");
    const second = await readPatient(r);
    failure(second, "timeout", "auth-failed");
    expect(apiCalls(hostile)).toHaveLength(0);

    hostile.on(TOKEN_ROUTE, token(TOKEN));
    const recovered = await eventuallySucceeds(r, 6000, 3000);
    expect(recovered.data).toMatchObject({ id: "pat_01J8ZK4W7Q" });
    expectNoSecrets(seenBy(r, first, second, recovered));
  });

  it("answers slowly (2 s, within the attempt timeout) with a 1.2 s deadline: timeout phase deadline; a later call with room succeeds", async () => {
    hostile.on(TOKEN_ROUTE, delayed(2000, token(TOKEN)));
    const r = authed(hostile, { timeoutMs: 5000, deadlineMs: 1200 });
    const first = await readPatient(r);
    expect(failure(first, "timeout").phase).toBe("deadline");
    const later = await readPatient(r, 6000);
    expect(later.error).toBeUndefined();
    expectNoSecrets(seenBy(r, first, later));
  });

  it("answers slower than the client's timeoutMs: every token attempt is bounded; the call settles, later ones succeed once it is fast", async () => {
    hostile.on(TOKEN_ROUTE, delayed(20_000, token(TOKEN)));
    const r = authed(hostile, { timeoutMs: 400, deadlineMs: 1500 });
    const first = await readPatient(r);
    failure(first, "timeout", "auth-failed");
    hostile.on(TOKEN_ROUTE, token(TOKEN));
    await eventuallySucceeds(r, 6000, 3000);
  });

  it("429 with Retry-After: 8 and a 6 s deadline: settles by the deadline, a later call settles, then calls succeed", async () => {
    hostile.on(TOKEN_ROUTE, json(429, { error: "rate_limit_exceeded", message: "later" }, { "retry-after": "8" }));
    const r = authed(hostile, { timeoutMs: 800, deadlineMs: 6000 });
    const first = await readPatient(r);
    const e1 = failure(first, "timeout", "rate-limited", "auth-failed");
    if (e1.kind === "timeout") expect(e1.phase).toBe("deadline");
    const second = await readPatient(r, 1500);
    failure(second, "timeout", "rate-limited", "auth-failed");
    hostile.on(TOKEN_ROUTE, token(TOKEN));
    await eventuallySucceeds(r, 12_000, 3000);
    expectNoSecrets(seenBy(r, first, second));
  });

  it("five concurrent calls while the endpoint never answers: all settle by their deadlines, one token request at a time", async () => {
    hostile.on(TOKEN_ROUTE, never());
    const r = authed(hostile, { timeoutMs: 500, deadlineMs: 1500 });
    const results = await Promise.all(Array.from({ length: 5 }, () => readPatient(r)));
    for (const result of results) failure(result, "timeout", "auth-failed");
    expect(tokenCalls(hostile).length).toBeLessThanOrEqual(3);
    expectNoSecrets(seenBy(r, ...results));
  });
});
