/**
 * `carewire mock` and `carewire contract`: the simulator and the contract runner from
 * a shell, for users' CI.
 */
import { readFile } from "node:fs/promises";
import type { ParseArgsConfig } from "node:util";
import type { ContractCredentials } from "../testing/contract-credentials.js";
import type { FaultPlan } from "../testing/simulator/faults.js";
import type { RateLimitHeaderStyle } from "../testing/simulator/rate-limiter.js";
import type { SimulatorOptions } from "../testing/simulator/server.js";
import { parseCommandLine, UsageError } from "./usage-error.js";

export { MOCK_USAGE, CONTRACT_USAGE } from "./usage.js";

// Every argument is checked before the simulator, the contract runner and their
// dependencies are imported (below, with `await import`): those take seconds to load, and
// a mistyped flag should be answered at once, however busy the machine.

function parse(args: readonly string[], options: NonNullable<ParseArgsConfig["options"]>) {
  return parseCommandLine({ args: [...args], options, allowPositionals: true, strict: true });
}

function wholeNumber(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag} needs a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** `120/60s`, `20/2s`, `5/500ms` or `off`. */
export function parseRateLimit(value: string): SimulatorOptions["rateLimit"] {
  if (value === "off") return false;
  const m = /^(\d+)\/(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!m) throw new UsageError(`--rate-limit needs <requests>/<window> like 120/60s, got "${value}"`);
  const unit = m[3] ?? "s";
  const seconds = Number(m[2]) * (unit === "ms" ? 0.001 : unit === "m" ? 60 : 1);
  if (Number(m[1]) <= 0 || seconds <= 0) throw new UsageError("--rate-limit needs a positive count and window");
  return { limit: Number(m[1]), windowSeconds: seconds };
}

export async function mockCommand(args: readonly string[], signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parse(args, {
    port: { type: "string" },
    host: { type: "string" },
    seed: { type: "string" },
    "rate-limit": { type: "string" },
    "rate-limit-headers": { type: "string" },
    "token-ttl": { type: "string" },
    concurrency: { type: "string" },
    faults: { type: "string" },
    scenario: { type: "string" },
    stateless: { type: "boolean" },
    "no-auth": { type: "boolean" },
    "idempotency-keys": { type: "string" },
    overlay: { type: "string", multiple: true },
  });
  const spec = positionals[0];
  if (spec === undefined || positionals.length > 1) throw new UsageError("mock needs exactly one spec file");
  const overlays = values.overlay as string[] | undefined;
  const headerStyle = values["rate-limit-headers"] as string | undefined;
  if (headerStyle !== undefined && !["none", "x-ratelimit", "ietf"].includes(headerStyle)) {
    throw new UsageError(`--rate-limit-headers is none, x-ratelimit or ietf, got "${headerStyle}"`);
  }
  if (values.scenario !== undefined && values.scenario !== "clinic") throw new UsageError(`unknown --scenario "${String(values.scenario)}" (known: clinic)`);
  const idempotencyKeys = values["idempotency-keys"] as string | undefined;
  if (idempotencyKeys !== undefined && idempotencyKeys !== "declared" && idempotencyKeys !== "always") throw new UsageError(`--idempotency-keys is declared or always, got "${idempotencyKeys}"`);
  let faults: FaultPlan | undefined;
  if (typeof values.faults === "string") {
    const [{ validateFaultPlan }, { SpecError }] = await Promise.all([import("../testing/simulator/faults.js"), import("../codegen/spec-error.js")]);
    try {
      faults = validateFaultPlan(JSON.parse(await readFile(values.faults, "utf8")));
    } catch (error) {
      throw new SpecError("config-invalid", values.faults, `cannot use the fault plan: ${(error as Error).message}`);
    }
  }
  const port = wholeNumber(values.port as string | undefined, "--port", 0, 65_535) ?? 4010;
  const seed = wholeNumber(values.seed as string | undefined, "--seed", 0, 2 ** 32 - 1);
  const ttl = wholeNumber(values["token-ttl"] as string | undefined, "--token-ttl", 1, 31_536_000);
  const concurrency = wholeNumber(values.concurrency as string | undefined, "--concurrency", 1, 100_000);
  const rateLimit = typeof values["rate-limit"] === "string" ? parseRateLimit(values["rate-limit"]) : undefined;
  if (await isCapabilityStatement(spec)) {
    const { startFhirSimulator } = await import("../testing/fhir/fhir-simulator.js");
    const fhir = await listening(port, startFhirSimulator({
      capability: spec,
      port,
      ...(seed !== undefined ? { seed } : {}),
      ...(rateLimit !== undefined ? { rateLimit } : {}),
      ...(faults !== undefined ? { faults } : {}),
    }));
    if (fhir === undefined) return 3;
    process.stdout.write(`carewire FHIR simulator: ${spec} on ${fhir.url}\n  Bulk Data: GET ${fhir.url}/$export (Prefer: respond-async)\n\n`);
    await untilStopped(signal);
    await fhir.close();
    return 0;
  }
  const auth = values["no-auth"] !== true;
  const [{ DEFAULT_CLIENTS, startSimulator }, { clinicScenario }] = await Promise.all([
    import("../testing/simulator/server.js"),
    import("../testing/scenarios/clinic.js"),
  ]);
  const sim = await listening(port, startSimulator({
    spec,
    port,
    ...(typeof values.host === "string" ? { host: values.host } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(headerStyle !== undefined ? { rateLimitHeaders: headerStyle as RateLimitHeaderStyle } : {}),
    ...(ttl !== undefined ? { tokenTtlSeconds: ttl } : {}),
    ...(concurrency !== undefined ? { concurrencyLimit: concurrency } : {}),
    ...(faults !== undefined ? { faults } : {}),
    ...(values.scenario === "clinic" ? { handlers: clinicScenario } : {}),
    ...(overlays !== undefined ? { overlays } : {}),
    ...(idempotencyKeys !== undefined ? { idempotencyKeys } : {}),
    stateful: values.stateless !== true,
    auth,
  }));
  if (sim === undefined) return 3;
  process.stdout.write(
    [
      `carewire simulator: ${spec} (${sim.operations.length} operations) on ${sim.url}`,
      `  token endpoint: POST ${sim.url}${sim.tokenPath} (grant_type=client_credentials)`,
      `  clients: ${Object.entries(DEFAULT_CLIENTS).map(([id, secret]) => `${id} / ${secret}`).join(", ")}`,
      // A bearer token is what a program's token variable wants; asking for one is one command.
      ...(auth ? [`  a bearer token: ${tokenCommand(sim.url + sim.tokenPath, DEFAULT_CLIENTS)}`] : []),
      ...(sim.apiKeys.length > 0 && auth ? [`  api keys (any value): ${sim.apiKeys.map((key) => `the ${key.in} ${key.name}`).join(", ")}`] : []),
      `  admin: ${sim.url}/__carewire/{health,log,counters} · PUT /__carewire/faults · POST /__carewire/{outage,reset,tokens/expire}`,
      "",
    ].join("\n"),
  );
  // Responses it cannot make valid are checked beside the server: one line each when known.
  const { formatResponseWarning } = await import("../testing/simulator/response-report.js");
  void sim.responseReport.then((found) => {
    for (const warning of found) process.stderr.write(`carewire simulator: cannot make valid ${formatResponseWarning(warning)}\n`);
  });
  await untilStopped(signal);
  await sim.close();
  return 0;
}

/** Whether the spec is a FHIR CapabilityStatement (the codegen's sniffing, loaded once the arguments are checked). */
async function isCapabilityStatement(spec: string): Promise<boolean> {
  const { isCapabilityStatementFile } = await import("../codegen/fhir/capability.js");
  return isCapabilityStatementFile(spec);
}

/**
 * The started server, or undefined once a port that cannot be listened on is said in one
 * line (the caller exits 3): the usual cause is another server, and the fix is a flag.
 */
async function listening<T>(port: number, starting: Promise<T>): Promise<T | undefined> {
  try {
    return await starting;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") process.stderr.write(`carewire: port ${port} is in use; pick another with --port\n`);
    else if (code === "EACCES") process.stderr.write(`carewire: port ${port} needs privileges this user lacks; pick another with --port\n`);
    else throw error;
    return undefined;
  }
}

/** Resolves on Ctrl-C, SIGTERM or the signal (tests). */
function untilStopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/**
 * `--api-key <key>` for every API-key scheme, `--api-key <name>=<key>` for one (its scheme's
 * name, or the header, query or cookie parameter it names); both together: the bare key goes
 * where no named one does. An argument whose text after its first `=` is only `=`s is a bare
 * key (base64 padding).
 */
export function parseApiKeys(args: readonly string[]): string | Readonly<Record<string, string>> {
  const named: Record<string, string> = {};
  let bare: string | undefined;
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const isNamed = eq > 0 && /[^=]/.test(arg.slice(eq + 1));
    const name = isNamed ? arg.slice(0, eq) : "*";
    if (name === "*" ? bare !== undefined : Object.hasOwn(named, name)) {
      throw new UsageError(name === "*" ? "--api-key <key> is given twice: name the scheme of each, --api-key <name>=<key>" : `--api-key ${name}=… is given twice`);
    }
    if (isNamed) named[name] = arg.slice(eq + 1);
    else bare = arg;
  }
  if (Object.keys(named).length === 0) return bare ?? "";
  return bare === undefined ? named : { ...named, "*": bare };
}

export async function contractCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    "base-url": { type: "string" },
    token: { type: "string" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    "token-url": { type: "string" },
    "api-key": { type: "string", multiple: true },
    operation: { type: "string", multiple: true },
    scenario: { type: "string" },
    json: { type: "boolean" },
    strict: { type: "boolean" },
  });
  if (values.scenario !== undefined && values.scenario !== "clinic") throw new UsageError(`unknown --scenario "${String(values.scenario)}" (known: clinic)`);
  const spec = positionals[0];
  if (spec === undefined || positionals.length > 1) throw new UsageError("contract needs exactly one spec file");
  let credentials: ContractCredentials | undefined;
  const apiKey = Array.isArray(values["api-key"]) ? { apiKey: parseApiKeys(values["api-key"].map(String)) } : {};
  if (typeof values.token === "string") credentials = { token: values.token, ...apiKey };
  else if (typeof values["client-id"] === "string" || typeof values["client-secret"] === "string") {
    if (typeof values["client-id"] !== "string" || typeof values["client-secret"] !== "string") throw new UsageError("--client-id and --client-secret go together");
    credentials = { clientId: values["client-id"], clientSecret: values["client-secret"], ...(typeof values["token-url"] === "string" ? { tokenUrl: values["token-url"] } : {}), ...apiKey };
  } else if (apiKey.apiKey !== undefined) credentials = apiKey;
  if (await isCapabilityStatement(spec)) {
    const { runFhirContract } = await import("../testing/fhir/fhir-contract.js");
    const fhir = await runFhirContract(spec, {
      ...(typeof values["base-url"] === "string" ? { baseUrl: values["base-url"] } : {}),
      ...(credentials?.token !== undefined ? { headers: { authorization: `Bearer ${credentials.token}` } } : {}),
      ...(credentials?.clientId !== undefined ? { auth: { clientId: credentials.clientId, clientSecret: credentials.clientSecret, tokenUrl: credentials.tokenUrl ?? "/oauth/token" } } : {}),
    });
    const strictFhir = values.strict === true;
    if (values.json === true) process.stdout.write(`${JSON.stringify({ ...fhir, strict: strictFhir }, null, 2)}\n`);
    else {
      for (const check of fhir.checks) {
        const mark = check.outcome === "passed" ? "ok  " : check.outcome === "failed" || strictFhir ? "FAIL" : "skip";
        process.stdout.write(`${mark} ${check.resourceType.padEnd(14)} ${check.interaction.padEnd(18)} → ${String(check.status)}\n`);
        for (const p of check.problems) process.stdout.write(`       ✗ ${p}\n`);
        if (check.reason !== undefined) process.stdout.write(`       ~ not exercised: ${check.reason}\n`);
      }
      process.stdout.write(`\n${fhir.passed} passed, ${fhir.failed} failed, ${fhir.notExercised} not exercised (${fhir.checks.length} interactions, ${fhir.baseUrl})\n`);
    }
    return contractExitCode(fhir, strictFhir, values.json === true);
  }
  // Codes that say nothing listens at the base URL (as opposed to a server that hung up).
  const NOTHING_THERE = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
  const [{ runContract }, { clinicScenario }] = await Promise.all([import("../testing/contract.js"), import("../testing/scenarios/clinic.js")]);
  const report = await runContract(spec, {
    ...(typeof values["base-url"] === "string" ? { baseUrl: values["base-url"] } : {}),
    ...(credentials ? { credentials } : {}),
    ...(Array.isArray(values.operation) ? { operations: values.operation.map(String) } : {}),
    ...(values.scenario === "clinic" ? { simulator: { handlers: clinicScenario } } : {}),
  });
  const strict = values.strict === true;
  // A server that is not there: one line, not one failure per operation.
  const unreachable = report.checks.length > 0 && report.checks.every((check) => NOTHING_THERE.has(check.noResponseCode ?? ""));
  if (unreachable && values.json !== true) {
    process.stderr.write(`carewire: contract: nothing answered at ${report.baseUrl} (all ${report.checks.length} operations failed to connect); is the server running?\n`);
    return 3;
  }
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ ...report, strict }, null, 2)}\n`);
  } else {
    for (const check of report.checks) {
      const mark = check.outcome === "passed" ? "ok  " : check.outcome === "failed" ? "FAIL" : strict ? "FAIL" : "skip";
      const answer = check.status === null ? `no response (${check.noResponse ?? "unexpected"})` : String(check.status);
      process.stdout.write(`${mark} ${check.operationId.padEnd(32)} ${check.method.padEnd(6)} ${check.path}  → ${answer}\n`);
      if (check.reason !== undefined) process.stdout.write(`       – not exercised: ${check.reason}\n`);
      for (const p of check.problems) process.stdout.write(`       ✗ ${p}\n`);
      for (const w of check.warnings.slice(0, 3)) process.stdout.write(`       ~ ${w}\n`);
    }
    process.stdout.write(`\n${report.passed} passed, ${report.failed} failed, ${report.notExercised} not exercised (${report.checks.length} operations, ${report.baseUrl})\n`);
  }
  return contractExitCode(report, strict, values.json === true);
}

/**
 * One rule for every contract run, an OpenAPI spec's or a CapabilityStatement's: failures
 * fail; so does a run that exercised nothing, which checked nothing (a deploy gate must not
 * pass on it); with --strict, so does anything not exercised.
 */
function contractExitCode(run: { readonly checks: readonly unknown[]; readonly passed: number; readonly failed: number; readonly notExercised: number }, strict: boolean, json: boolean): number {
  const nothingExercised = run.checks.length > 0 && run.passed === 0 && run.failed === 0;
  if (nothingExercised && !json) process.stderr.write(`carewire: contract: no operation was exercised, so nothing was checked (exit 1); the reasons are above (credentials? --api-key, --token or --client-id)\n`);
  return run.failed > 0 || nothingExercised || (strict && run.notExercised > 0) ? 1 : 0;
}

/** The shell command that asks the simulator's token endpoint for a token with its first demo client, printing only the token. */
function tokenCommand(tokenUrl: string, clients: Readonly<Record<string, string>>): string {
  const [id, secret] = Object.entries(clients)[0] ?? ["", ""];
  return `curl -s -u ${id}:${secret} -d grant_type=client_credentials ${tokenUrl} | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token'`;
}
