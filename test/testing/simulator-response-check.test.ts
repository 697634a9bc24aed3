/**
 * The start-up check of response bodies runs beside the server: while requests arrive it
 * rests between operations (a timer per step) so clients come first, and it reports the
 * same warnings whether it rested or not.
 */
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import path from "node:path";
import { ROOT } from "../helpers/cli.js";
import { responseWarnings, type ResponseWarning } from "../../src/testing/simulator/response-report.js";
import { SpecModel } from "../../src/testing/simulator/spec-model.js";

const BODIES_SPEC = path.join(ROOT, "test/fixtures/specs/good/bodies.json");

afterEach(() => {
  jest.useRealTimers();
});

describe("the response check beside a busy server", () => {
  it("rests on timers between operations while busy, and finds what it finds when idle", async () => {
    const idle = await responseWarnings(await SpecModel.load(BODIES_SPEC));
    expect(idle.map((w) => w.operationId)).toContain("getImpossible");

    // Only timers are faked: the check's own turns (setImmediate) and step timing stay real.
    jest.useFakeTimers({ doNotFake: ["setImmediate", "nextTick", "queueMicrotask", "performance", "hrtime"] });
    const model = await SpecModel.load(BODIES_SPEC);
    let settled: ResponseWarning[] | undefined;
    void responseWarnings(model, { busy: () => true }).then((report) => (settled = report));
    let rests = 0;
    for (let turn = 0; settled === undefined && turn < 10_000; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (jest.getTimerCount() > 0) {
        rests++;
        jest.advanceTimersByTime(1_000);
      }
    }
    expect(rests).toBeGreaterThan(0);
    expect(settled).toEqual(idle);
  });

  it("stops at the next operation once the server is closed", async () => {
    const model = await SpecModel.load(BODIES_SPEC);
    const checked: string[] = [];
    const report = await responseWarnings(model, { stopped: () => true, found: (w) => checked.push(w.operationId) });
    expect(report).toEqual([]);
    expect(checked).toEqual([]);
  });
});
