import type { OperationDescriptor } from "carewire";

/** A registry entry for runtime tests: `GET /things/{thingId}`, safe, JSON 200, no credentials. */
export function testOperation(overrides: Partial<OperationDescriptor> = {}): OperationDescriptor {
  return {
    operationId: "getThing",
    synthesizedId: false,
    name: "getThing",
    method: "get",
    path: "/things/{thingId}",
    safety: "safe",
    tags: [],
    deprecated: false,
    parameters: { path: [{ name: "thingId", required: true }], query: [], header: [], cookie: [] },
    responses: { "200": { contentTypes: ["application/json"], headers: [] } },
    security: "none",
    hints: {},
    ...overrides,
  };
}

/** The hints of an operation whose spec says its provider honours Idempotency-Key (`x-carewire-idempotency: true`). */
export const KEYS_HONOURED = { idempotency: { header: "Idempotency-Key", required: false } } as const;
