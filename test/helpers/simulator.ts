/**
 * Simulators for tests, started and closed for them, and plain-HTTP helpers to talk to
 * them (Node's fetch, no carewire client in between).
 */
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach } from "@jest/globals";
import { startFhirSimulator, startSimulator, clinicScenario, type FhirSimulator, type FhirSimulatorOptions, type Simulator, type SimulatorOptions } from "carewire/testing";
import { ROOT } from "./cli.js";

export const CLINIC_SPEC = path.join(ROOT, "specs/clinic/openapi.yaml");
export const FHIR_CAPABILITY = path.join(ROOT, "specs/fhir-r4/capability.json");

export function clinicSimulator(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return startSimulator({ spec: CLINIC_SPEC, handlers: clinicScenario, ...options });
}

/**
 * One clinic simulator and a bearer token for it, shared by every test of the file
 * (`per: "file"`) or fresh for each test (`per: "test"`, when a test must start from empty
 * counters), handed to `use` once started and closed afterwards.
 */
export function withSimulator(per: "file" | "test", options: Partial<SimulatorOptions>, use: (sim: Simulator, token: string) => void): void {
  let sim: Simulator | undefined;
  const before = per === "file" ? beforeAll : beforeEach;
  const after = per === "file" ? afterAll : afterEach;
  before(async () => {
    sim = await clinicSimulator(options);
    use(sim, await sim.issueToken());
  });
  after(async () => {
    await sim?.close();
    sim = undefined;
  });
}

/** Simulators a test starts for itself, each closed when that test ends (whatever it asserted). */
export function simulatorPool(): {
  clinic(options?: Partial<SimulatorOptions>): Promise<Simulator>;
  start(options: SimulatorOptions): Promise<Simulator>;
  fhir(options?: Partial<FhirSimulatorOptions>): Promise<FhirSimulator>;
} {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  const track = async <S extends { close(): Promise<void> }>(starting: Promise<S>): Promise<S> => {
    const started = await starting;
    open.push(started);
    return started;
  };
  return {
    clinic: (options = {}) => track(clinicSimulator(options)),
    start: (options) => track(startSimulator(options)),
    fhir: (options = {}) => track(startFhirSimulator({ capability: FHIR_CAPABILITY, ...options })),
  };
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
