/**
 * The simulator's rate limiter counts as the clinic provider does: per OAuth client_id,
 * sliding window, 429 + Retry-After in seconds + JSON error body; the token endpoint
 * counts too; tokens expire into 401 + WWW-Authenticate. Driven by a fake clock so
 * "exactly when" and "correct to the second" are exact.
 */
import { describe, expect, it } from "@jest/globals";
import { FakeClock } from "carewire/testing";
import { untilWaiting } from "../helpers/fake-time.js";
import { call, simulatorPool, tokenFor } from "../helpers/simulator.js";

const sims = simulatorPool();

describe("simulator rate limiting and token expiry", () => {
  it("answers 429 exactly when the window is exceeded and not before, with Retry-After to the second", async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const sim = await sims.clinic({ rateLimit: { limit: 5, windowSeconds: 10 }, clock, auth: false });

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await call(sim, "GET", "/practitioners")).status);
      await clock.advance(1_000); // requests at t0, t0+1 s, … t0+4 s
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);

    await clock.advance(t0 + 5_300 - clock.now());
    const refused = await call(sim, "GET", "/practitioners");
    expect(refused.status).toBe(429);
    // The request at t0 leaves the window at t0+10 s: 4.7 s from now, so 5 whole seconds.
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.headers.get("content-type")).toBe("application/json");
    expect(refused.json()).toEqual({ error: "rate_limit_exceeded", message: "Too many requests. Please retry after the indicated time." });

    await clock.advance(t0 + 9_999 - clock.now());
    expect((await call(sim, "GET", "/practitioners")).status).toBe(429); // still one ms short
    await clock.advance(t0 + 10_000 - clock.now());
    expect((await call(sim, "GET", "/practitioners")).status).toBe(200); // the first slot freed
    expect((await call(sim, "GET", "/practitioners")).status).toBe(429); // and only one
    expect(sim.counters.rateLimited).toBe(3);
  });

  it("counts rejected requests nowhere: hammering during a 429 does not push the window out", async () => {
    const clock = new FakeClock();
    const sim = await sims.clinic({ rateLimit: { limit: 2, windowSeconds: 4 }, clock, auth: false });
    await call(sim, "GET", "/practitioners");
    await call(sim, "GET", "/practitioners");
    for (let i = 0; i < 10; i++) {
      await clock.advance(100);
      expect((await call(sim, "GET", "/practitioners")).status).toBe(429);
    }
    await clock.advance(3_000); // t = 4 s: the first request's slot is free
    expect((await call(sim, "GET", "/practitioners")).status).toBe(200);
  });

  it("gives each client_id its own window, and counts the token endpoint against it", async () => {
    const clock = new FakeClock();
    const sim = await sims.clinic({ rateLimit: { limit: 3, windowSeconds: 60 }, clock });
    const a = (await tokenFor(sim, "carewire-demo", "carewire-demo-secret")).json().access_token as string; // 1 of 3 for client A
    const b = (await tokenFor(sim, "carewire-other", "carewire-other-secret")).json().access_token as string;

    expect((await call(sim, "GET", "/practitioners", { token: a })).status).toBe(200); // 2 of 3
    expect((await call(sim, "GET", "/practitioners", { token: a })).status).toBe(200); // 3 of 3
    expect((await call(sim, "GET", "/practitioners", { token: a })).status).toBe(429);
    // The token endpoint is rate-limited like every other endpoint.
    expect((await tokenFor(sim, "carewire-demo", "carewire-demo-secret")).status).toBe(429);
    // Client B is untouched by A's traffic.
    expect((await call(sim, "GET", "/practitioners", { token: b })).status).toBe(200);
    expect((await call(sim, "GET", "/practitioners", { token: b })).status).toBe(200);
    expect((await call(sim, "GET", "/practitioners", { token: b })).status).toBe(429);

    const clients = new Set(sim.log.filter((e) => e.status === 429).map((e) => e.clientId));
    expect(clients).toEqual(new Set(["carewire-demo", "carewire-other"]));
  });

  it("reads the quota from the spec's x-carewire-rate-limit by default", async () => {
    const clock = new FakeClock();
    const sim = await sims.clinic({ clock, auth: false }); // clinic: 120 per 60 s
    for (let i = 0; i < 120; i++) expect((await call(sim, "GET", "/practitioners")).status).toBe(200);
    const refused = await call(sim, "GET", "/practitioners");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
  });

  it("sends X-RateLimit-* headers with the reset as epoch seconds", async () => {
    const clock = new FakeClock({ start: 1_700_000_000_000 });
    const sim = await sims.clinic({ rateLimit: { limit: 2, windowSeconds: 30 }, rateLimitHeaders: "x-ratelimit", clock, auth: false });
    const first = await call(sim, "GET", "/practitioners");
    expect(first.headers.get("x-ratelimit-limit")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(first.headers.get("x-ratelimit-reset")).toBe(String(1_700_000_030));
    await clock.advance(10_000);
    await call(sim, "GET", "/practitioners");
    const refused = await call(sim, "GET", "/practitioners");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("retry-after")).toBe("20");
  });

  it("sends IETF RateLimit / RateLimit-Policy headers (draft 8: q, w, r, t)", async () => {
    const clock = new FakeClock();
    const sim = await sims.clinic({ rateLimit: { limit: 2, windowSeconds: 30 }, rateLimitHeaders: "ietf", clock, auth: false });
    const first = await call(sim, "GET", "/practitioners");
    expect(first.headers.get("ratelimit-policy")).toBe('"default";q=2;w=30');
    expect(first.headers.get("ratelimit")).toBe('"default";r=1;t=30');
    await clock.advance(12_000);
    await call(sim, "GET", "/practitioners");
    const refused = await call(sim, "GET", "/practitioners");
    expect(refused.headers.get("ratelimit")).toBe('"default";r=0;t=18');
    expect(refused.headers.get("retry-after")).toBe("18");
  });

  it("sends no rate-limit headers but Retry-After in the default style, as the clinic provider does", async () => {
    const clock = new FakeClock();
    const sim = await sims.clinic({ rateLimit: { limit: 1, windowSeconds: 5 }, clock, auth: false });
    const ok = await call(sim, "GET", "/practitioners");
    expect([...ok.headers.keys()].filter((k) => k.includes("ratelimit"))).toEqual([]);
    expect((await call(sim, "GET", "/practitioners")).headers.get("retry-after")).toBe("5");
  });

  it("expires tokens after their TTL: 401 with WWW-Authenticate, and a new token works", async () => {
    const clock = new FakeClock();
    const sim = await sims.clinic({ tokenTtlSeconds: 60, clock, rateLimit: false });
    const grant = await tokenFor(sim, "carewire-demo", "carewire-demo-secret");
    expect(grant.json()).toMatchObject({ token_type: "Bearer", expires_in: 60 });
    const token = grant.json().access_token as string;

    await clock.advance(59_999);
    expect((await call(sim, "GET", "/practitioners", { token })).status).toBe(200);
    await clock.advance(1);
    const expired = await call(sim, "GET", "/practitioners", { token });
    expect(expired.status).toBe(401);
    expect(expired.headers.get("www-authenticate")).toBe('Bearer realm="carewire-simulator", error="invalid_token", error_description="The access token expired"');
    expect(expired.headers.get("content-type")).toBe("application/problem+json");

    const fresh = (await tokenFor(sim, "carewire-demo", "carewire-demo-secret")).json().access_token as string;
    expect((await call(sim, "GET", "/practitioners", { token: fresh })).status).toBe(200);
  });

  it("rejects missing, unknown and wrong credentials without crashing", async () => {
    const sim = await sims.clinic({ rateLimit: false });
    const missing = await call(sim, "GET", "/practitioners");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="carewire-simulator"');
    expect((await call(sim, "GET", "/practitioners", { token: "forged" })).status).toBe(401);
    const wrongSecret = await tokenFor(sim, "carewire-demo", "nope");
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.json()).toEqual({ error: "invalid_client", error_description: "unknown client or wrong secret" });
    const wrongGrant = await call(sim, "POST", sim.tokenPath, { body: "grant_type=password", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(wrongGrant.status).toBe(400);
    expect(wrongGrant.json().error).toBe("unsupported_grant_type");
  });

  it("caps concurrent requests per client when asked to", async () => {
    const clock = new FakeClock();
    const sim = await sims.clinic({ concurrencyLimit: 1, rateLimit: false, auth: false, clock });
    sim.faults.enqueue("listPractitioners", [{ kind: "latency", ms: 300 }]);
    const slow = call(sim, "GET", "/practitioners");
    await untilWaiting(clock); // the first request is held by its latency
    const second = await call(sim, "GET", "/practitioners");
    expect(second.status).toBe(429);
    expect(second.json().error).toBe("concurrency_limit_exceeded");
    await clock.advance(300);
    expect((await slow).status).toBe(200);
  });
});
