/**
 * The provider README of a FHIR client (see provider-readme.ts): resource types and their
 * interactions from the CapabilityStatement, search parameters, system interactions and
 * operations, the points each interaction costs, and a snippet per resource type.
 */
import { envPrefixOf, readmeBaseUrl, type ReadmeBaseUrl } from "../readme-base-url.js";
import type { OperationDescriptor } from "../../runtime/core/operation.js";
import { cell, clientVariable, hintPhrases, importPathOf, retryDefaults, type ReadmeTarget, type SnippetContext } from "../provider-readme.js";
import type { TemplateSet } from "../render.js";
import { propertyKey, tsLiteral } from "../ts-literal.js";
import { FHIR_INTERACTION_POINTS, FHIR_POINTS_QUOTA } from "../../fhir/prices.js";
import { interactionOperation } from "../../fhir/interactions.js";
import { isObject } from "../json.js";
import type { CapabilityModel } from "./capability.js";
import { typeSearchParam } from "./search-definitions.js";

/** What the README is made from: where the client lives and the statement it was generated from. */
export interface FhirReadmeSource {
  readonly target: ReadmeTarget;
  readonly specRef: string;
  readonly capability: CapabilityModel;
}

interface FhirReadmeResource {
  readonly type: string;
  readonly interactions: ReadonlyArray<{ readonly code: string; readonly descriptor: OperationDescriptor }>;
  readonly searchParams: ReadonlyArray<{ readonly name: string; readonly type: string; readonly targets: readonly string[] }>;
}

interface FhirReadmeInput {
  readonly target: ReadmeTarget;
  readonly title: string;
  readonly fhirVersion: string;
  readonly specRef: string;
  readonly baseUrl: string | undefined;
  readonly securityDescription: string | undefined;
  readonly resources: readonly FhirReadmeResource[];
  readonly system: ReadonlyArray<{ readonly code: string; readonly descriptor: OperationDescriptor }>;
  readonly operations: readonly string[];
  readonly pointsQuota: string;
}

/** Client methods each interaction brings, as the README lists them. */
const FHIR_METHODS: Readonly<Record<string, string>> = {
  read: "read(id)",
  vread: "vread(id, versionId)",
  "search-type": "search(params), searchPages, searchAll",
  create: "create(resource), ensure(resource)",
  update: "update(resource)",
  patch: "patch(id, operations)",
  delete: "delete(id)",
  "history-instance": "history(id)",
  transaction: "transaction(bundle)",
  batch: "batch(bundle)",
};

export async function renderFhirReadme(source: FhirReadmeSource, templates: TemplateSet): Promise<string> {
  const input = readmeInput(source);
  const { target } = input;
  const factory = `create${target.typeName}Client`;
  const variable = clientVariable(target.typeName);
  const importPath = importPathOf(target.outDir);
  const envPrefix = envPrefixOf(target.name);
  // Every program reads its address from one variable (see readmeBaseUrl), the statement's own URL its default.
  const base = readmeBaseUrl(envPrefix, input.baseUrl);
  const row = (label: string, code: string, d: OperationDescriptor) => ({
    label,
    interaction: code,
    method: d.method.toUpperCase(),
    path: cell(d.path),
    methods: FHIR_METHODS[code] ?? code,
    safety: d.safety,
    hints: cell(hintPhrases(d, undefined, code === "search-type" ? "pages by the Bundle's `next` link, `_count` per page" : undefined).join("; ")) || "–",
  });
  return templates.render("provider-readme.md", {
    fhir: true,
    title: input.title,
    version: `FHIR ${input.fhirVersion}`,
    summary: undefined,
    provider: target.name,
    specRef: input.specRef,
    baseUrl: input.baseUrl,
    factory,
    importPath,
    securityDescription: input.securityDescription,
    baseUrlVariable: base.variable,
    createSnippet: [
      `import { ${factory} } from ${JSON.stringify(importPath)};`,
      ``,
      ...base.preamble,
      `const ${variable} = ${factory}({`,
      `  ${base.option},`,
      `  headers: { Authorization: \`Bearer \${process.env["${envPrefix}_TOKEN"] ?? ""}\` },`,
      `  timeoutMs: 10_000,`,
      `});`,
      `console.log(${variable}.provider);`,
    ].join("\n"),
    resources: input.resources.map((r) => ({
      type: r.type,
      interactions: r.interactions.map((i) => row(r.type, i.code, i.descriptor)),
      searchParams: r.searchParams.map((p) => `\`${p.name}\` (${p.type}${p.targets.length > 0 ? ` → ${p.targets.join(", ")}` : ""})`).join(", ") || "none",
      snippet: fhirSnippet(r, { factory, variable, importPath }, base),
    })),
    system: input.system.map((s) => row("system", s.code, s.descriptor)),
    fhirOperations: input.operations.map((o) => `$${o}`).join(", ") || "none",
    pointsQuota: input.pointsQuota,
    operationCount: input.resources.reduce((n, r) => n + r.interactions.length, 0) + input.system.length,
    retryDefaults: retryDefaults(),
  });
}

/** Read, search and create of one resource type, as far as the statement declares them. */
function fhirSnippet(resource: FhirReadmeResource, ctx: SnippetContext, base: ReadmeBaseUrl): string {
  const declared = new Set(resource.interactions.map((i) => i.code));
  const lines = [`import { ${ctx.factory} } from ${JSON.stringify(ctx.importPath)};`, ``, ...base.preamble, `const ${ctx.variable} = ${ctx.factory}({ ${base.option} });`];
  const client = `${ctx.variable}.${resource.type}`;
  const minimal = MINIMAL_RESOURCES[resource.type];
  if (declared.has("create") && minimal !== undefined) {
    lines.push(
      ``,
      `const created = await ${client}.create(${tsLiteral({ resourceType: resource.type, ...minimal }, 0)});`,
      `if (created.error) console.error(created.error.kind);`,
      `else console.log(created.created, created.data.id, created.meta.attempts.length);`,
    );
  }
  if (declared.has("read")) {
    lines.push(``, `const read = await ${client}.read("example-id");`, `if (read.error) console.error(read.error.kind, read.meta.attempts.length);`, `else console.log(read.data.meta?.versionId);`);
  }
  if (declared.has("search-type")) {
    const param = resource.searchParams.find((p) => !p.name.startsWith("_") && SEARCH_EXAMPLES[p.type] !== undefined);
    const params = param === undefined ? `{ _count: 10 }` : `{ ${propertyKey(param.name)}: ${SEARCH_EXAMPLES[param.type]!(param.targets)}, _count: 10 }`;
    lines.push(
      ``,
      `const found = await ${client}.search(${params});`,
      `if (found.error) console.error(found.error.kind);`,
      `else console.log(found.data.entry?.length ?? 0);`,
      `for await (const match of ${client}.searchAll(${params})) console.log(match.id);`,
    );
  }
  return lines.join("\n");
}

/** A value of each search parameter type, as TypeScript. */
const SEARCH_EXAMPLES: Readonly<Record<string, (targets: readonly string[]) => string>> = {
  string: () => `"smith"`,
  token: () => `{ system: "http://example.org/ids", code: "123" }`,
  date: () => `"ge2024-01-01"`,
  reference: (targets) => JSON.stringify(`${targets[0] ?? "Patient"}/123`),
  number: () => "1",
  uri: () => `"http://example.org/source"`,
};

/**
 * The elements R4 requires of common resource types (beyond `resourceType`), for the create
 * snippet. A type not listed gets no create snippet rather than one that does not compile.
 */
const MINIMAL_RESOURCES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  Patient: { name: [{ family: "Quill", given: ["Juniper"] }] },
  Practitioner: { name: [{ family: "Fenwick" }] },
  Organization: { name: "Example Clinic" },
  Location: { name: "Room 1" },
  Encounter: { status: "finished", class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" }, subject: { reference: "Patient/123" } },
  Observation: { status: "final", code: { text: "Body weight" }, subject: { reference: "Patient/123" }, valueQuantity: { value: 72, unit: "kg" } },
  Condition: { subject: { reference: "Patient/123" }, code: { text: "Hypertension" } },
  AllergyIntolerance: { patient: { reference: "Patient/123" }, code: { text: "Penicillin" } },
  Appointment: { status: "booked", participant: [{ status: "accepted", actor: { reference: "Patient/123" } }] },
  Provenance: { target: [{ reference: "Patient/123" }], recorded: "2030-01-01T00:00:00Z", agent: [{ who: { reference: "Practitioner/456" } }] },
  MedicationRequest: { status: "active", intent: "order", medicationCodeableConcept: { text: "Amoxicillin 500 mg" }, subject: { reference: "Patient/123" } },
  Immunization: { status: "completed", vaccineCode: { text: "Influenza" }, patient: { reference: "Patient/123" }, occurrenceDateTime: "2030-01-01" },
  Procedure: { status: "completed", subject: { reference: "Patient/123" } },
  DiagnosticReport: { status: "final", code: { text: "Lipid panel" } },
};

/** What the provider README shows of a CapabilityStatement. */
function readmeInput({ target, specRef, capability }: FhirReadmeSource): FhirReadmeInput {
  const rest = Array.isArray(capability.document.rest) ? capability.document.rest.find((r) => isObject(r) && r.mode === "server") : undefined;
  const security = isObject(rest) && isObject(rest.security) && typeof rest.security.description === "string" ? rest.security.description : undefined;
  const implementation = capability.document.implementation;
  const url = isObject(implementation) && typeof implementation.url === "string" && /^https?:\/\//.test(implementation.url) ? implementation.url.replace(/\/+$/, "") : undefined;
  const prices = Object.entries(FHIR_INTERACTION_POINTS).map(([interaction, points]) => `${interaction} ${points}`).join(", ");
  return {
    target,
    title: capability.title,
    fhirVersion: capability.fhirVersion,
    specRef,
    baseUrl: url,
    securityDescription: security,
    resources: capability.resources.map((r) => ({
      type: r.type,
      interactions: r.interactions.map((code) => ({ code, descriptor: interactionOperation(r.type, code) })),
      searchParams: r.searchParams.map((p) => typeSearchParam(r.type, p)),
    })),
    system: capability.system.map((code) => ({ code, descriptor: interactionOperation("", code) })),
    operations: capability.operations,
    pointsQuota: `each call is priced in \`${FHIR_POINTS_QUOTA}\` points (${prices}; a batch or transaction by its entries) and paced against that quota when the client is given one (\`pacing: { quotas: { ${FHIR_POINTS_QUOTA}: { limit, windowMs } } }\`) or the server states it in its RateLimit headers; requests count 1 each against the request quota`,
  };
}
