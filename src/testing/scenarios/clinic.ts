/**
 * Behaviour of specs/clinic that generic CRUD cannot infer: cancelling an appointment
 * changes its status, and cancelling twice is a conflict (the spec's 409).
 */
import { isObject } from "../../codegen/json.js";
import { problemBody } from "../simulator/problem.js";
import type { SimulatorHandler } from "../simulator/server.js";

const cancelAppointment: SimulatorHandler = (context) => {
  const id = context.params.appointmentId ?? "";
  const existing = context.store.get("/appointments", id);
  if (!existing) {
    if (!context.store.has("/appointments")) return context.fallback();
    return { status: 404, body: problemBody({ status: 404, title: "Not Found", detail: `no appointment ${id}` }), contentType: "application/problem+json" };
  }
  if (existing.status === "cancelled") {
    return { status: 409, body: problemBody({ status: 409, title: "Conflict", detail: `appointment ${id} is already cancelled` }), contentType: "application/problem+json" };
  }
  const reason = isObject(context.body) && typeof context.body.reason === "string" ? context.body.reason : undefined;
  const cancelled = { ...existing, status: "cancelled", ...(reason !== undefined ? { cancellationReason: reason } : {}) };
  context.store.put("/appointments", id, cancelled);
  return { status: 200, body: cancelled };
};

/** Handlers for `startSimulator({ spec: "specs/clinic/openapi.yaml", handlers: clinicScenario })`. */
export const clinicScenario: Readonly<Record<string, SimulatorHandler>> = Object.freeze({ cancelAppointment });
