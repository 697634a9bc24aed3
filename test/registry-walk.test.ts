/**
 * "The runtime wraps every generated operation": walk the whole registry of every
 * generated provider (the committed ones and the real public specs) and call each
 * operation function against a real local server. A recording policy in the pipeline
 * must see every operationId, and the server every method + path.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ClientOptions, OperationDescriptor, Policy } from "carewire";
import { runGenerate } from "carewire/codegen";
import { providers } from "../generated/providers.js";
import { ROOT } from "./helpers/cli.js";
import { json, startServer, type TestServer } from "./helpers/http-server.js";

type AnyOperation = (input?: unknown) => Promise<{ meta: { operationId: string }; error?: { kind: string } }>;
interface WalkableProvider {
  name: string;
  operations: Record<string, OperationDescriptor>;
  createClient(options: ClientOptions): object;
}

let server: TestServer;
let tmp: string;
beforeAll(async () => {
  server = await startServer((_req, res) => json(res, 200, {}));
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-walk-"));
  // Generated code is ESM, as in any user project that runs it.
  await writeFile(path.join(tmp, "package.json"), JSON.stringify({ type: "module" }));
});
afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

/** The smallest input that satisfies an operation: every required parameter, a body when one exists. */
function minimalInput(op: OperationDescriptor): object {
  const fill = (list: OperationDescriptor["parameters"]["query"], all = false) =>
    Object.fromEntries(list.filter((p) => all || p.required).map((p) => [p.name, `v-${p.name}`]));
  return {
    params: {
      path: fill(op.parameters.path, true),
      query: fill(op.parameters.query),
      header: fill(op.parameters.header),
      cookie: fill(op.parameters.cookie),
    },
    // fetch cannot send a body with GET/HEAD, whatever a spec declares.
    ...(op.requestBody && op.method !== "get" && op.method !== "head" ? { body: {} } : {}),
  };
}

function templateRegex(template: string): RegExp {
  const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\\\{[^}]+\\\}/g, "[^/]+");
  return new RegExp(`^${escaped}$`);
}

async function walk(provider: WalkableProvider): Promise<void> {
  const seen: string[] = [];
  const recorder: Policy = (next) => (plan) => {
    seen.push(plan.call.operation.operationId);
    return next(plan);
  };
  const client = provider.createClient({ baseUrl: server.url, policies: [recorder] }) as Record<string, AnyOperation>;
  const operations = Object.values(provider.operations);
  expect(operations.length).toBeGreaterThan(0);

  for (const op of operations) {
    const before = server.requests.length;
    const fn = client[op.name];
    expect(typeof fn).toBe("function");
    const result = await fn!(minimalInput(op));
    // The server answers `{}` to everything: fine for any schema except one with fields the
    // spec marks critical, where the typed contract violation is the right answer.
    if (result.error !== undefined) expect(result.error.kind).toBe("contract-violation");
    expect(result.meta.operationId).toBe(op.operationId);
    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe(op.method.toUpperCase());
    expect(new URL(sent[0]!.url, server.url).pathname).toMatch(templateRegex(op.path));
  }
  expect(seen).toEqual(operations.map((o) => o.operationId));
}

/** One call per declared FHIR interaction, as a user makes it. */
const FHIR_CALLS: Record<string, (resource: Record<string, (...args: unknown[]) => Promise<unknown>>, type: string) => Promise<unknown>> = {
  read: (r) => r.read!("x"),
  vread: (r) => r.vread!("x", "1"),
  "search-type": (r) => r.search!({ _count: 1 }),
  create: (r, type) => r.create!({ resourceType: type }),
  update: (r, type) => r.update!({ resourceType: type, id: "x" }),
  patch: (r) => r.patch!("x", [{ op: "replace", path: "/active", value: true }]),
  delete: (r) => r.delete!("x"),
  "history-instance": (r) => r.history!("x"),
};

async function walkFhir(provider: { operations: Record<string, OperationDescriptor>; createClient(options: ClientOptions): object }): Promise<void> {
  const seen: string[] = [];
  const recorder: Policy = (next) => (plan) => (seen.push(plan.call.operation.operationId), next(plan));
  const client = provider.createClient({ baseUrl: server.url, policies: [recorder] }) as Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>>;
  const operations = Object.values(provider.operations);
  expect(operations.length).toBeGreaterThan(0);
  for (const op of operations) {
    const before = server.requests.length;
    const [type, interaction] = op.operationId.includes(".") ? op.operationId.split(".") : ["", op.operationId];
    const call = type ? FHIR_CALLS[interaction!]!(client[type!]!, type!) : (client[interaction!] as unknown as (b: object) => Promise<unknown>)({ resourceType: "Bundle", type: interaction, entry: [] });
    const result = (await call) as { error?: { kind: string } } | undefined;
    // `{}` is no FHIR resource: a read or search that gets it must say so (typed), and a
    // write that gets it may too. Either way the call went through the pipeline.
    if (result?.error !== undefined) expect(result.error.kind).toBe("contract-violation");
    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe(op.method.toUpperCase());
    expect(new URL(sent[0]!.url, server.url).pathname).toMatch(templateRegex(op.path));
  }
  expect(seen).toEqual(operations.map((o) => o.operationId));
}

describe("every generated operation goes through the pipeline", () => {
  it.each(Object.keys(providers))("generated/%s", async (name) => {
    const provider = providers[name as keyof typeof providers];
    if (provider.kind === "fhir") await walkFhir(provider as unknown as Parameters<typeof walkFhir>[0]);
    else await walk(provider as unknown as WalkableProvider);
  });

  it.each([
    ["bluebutton", "cms-bluebutton.openapi.yaml"],
    ["drchrono", "drchrono.openapi.yaml"],
  ])("public spec %s", async (name, file) => {
    const outDir = path.join(tmp, name);
    await runGenerate({ mode: "single", spec: path.resolve(ROOT, "../shared/specs-public", file), outDir, name, check: false });
    const mod = (await import(pathToFileURL(path.join(outDir, "index.ts")).href)) as Record<string, unknown>;
    const factory = Object.entries(mod).find(([key]) => /^create\w+Client$/.test(key))?.[1] as WalkableProvider["createClient"];
    await walk({ name, operations: mod.operations as Record<string, OperationDescriptor>, createClient: factory });
  });
});
