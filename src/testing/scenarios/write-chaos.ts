/**
 * The fault mix a write path must survive without losing or duplicating anything: a reset
 * before the server saw the request, a reset after it committed, a 503 with Retry-After, a
 * 502, and a 2xx whose JSON is cut short, in equal shares, on the given operations.
 */
import type { FaultPlan } from "../simulator/faults.js";

export function writeChaos(rate: number, operations: readonly string[]): FaultPlan {
  return {
    random: {
      rate,
      operations: [...operations],
      faults: [{ kind: "reset-before" }, { kind: "reset-after-commit" }, { kind: "status", status: 503, retryAfter: 1 }, { kind: "status", status: 502 }, { kind: "truncated-json" }],
    },
  };
}
