/** Plain-HTTP helpers for simulator tests: Node's fetch, no carewire client in between. */
import path from "node:path";
import { startSimulator, clinicScenario, type Simulator, type SimulatorOptions } from "carewire/testing";
import { ROOT } from "./cli.js";

export const CLINIC_SPEC = path.join(ROOT, "specs/clinic/openapi.yaml");

export function clinicSimulator(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return startSimulator({ spec: CLINIC_SPEC, handlers: clinicScenario, ...options });
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: () => Record<string, unknown>;
}

export async function call(
  sim: Simulator,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(`${sim.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

export async function tokenFor(sim: Simulator, clientId: string, secret: string): Promise<Reply> {
  return call(sim, "POST", sim.tokenPath, {
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: secret }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
}

export const NEW_PATIENT = { identifier: "MRN-1001", givenName: "Ada", familyName: "Lovelace", birthDate: "1990-04-01" };
