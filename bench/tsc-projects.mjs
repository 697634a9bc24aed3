// The projects `npm run bench:codegen` type-checks for one spec: an app that uses the
// generated carewire client, and the same app on raw openapi-typescript output with
// openapi-fetch. Each calls one GET operation and reads one field of the answer; both
// compile under the strictest settings an app is likely to use.
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023", "DOM"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noUnusedLocals: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  },
  include: ["consumer.ts", "gen"],
};

/**
 * Writes `<dir>/{package.json,tsconfig.json,consumer.ts,node_modules}` around generated
 * code already in `<dir>/gen`. `call` names the operation: `{ path, params, field }`.
 * `kind` is "carewire" (gen/ holds `carewire generate --name bench` output) or "raw"
 * (gen/schema.d.ts from openapi-typescript).
 */
export async function writeProject(dir, kind, call, root) {
  await mkdir(path.join(dir, "node_modules"), { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  await writeFile(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
  // carewire as an installed package resolves it: package.json exports → dist/*.d.ts.
  await symlink(root, path.join(dir, "node_modules/carewire"), "dir");
  await symlink(path.join(root, "node_modules/openapi-fetch"), path.join(dir, "node_modules/openapi-fetch"), "dir");
  const params = JSON.stringify(call.params);
  const consumer =
    kind === "raw"
      ? [
          `import createClient from "openapi-fetch";`,
          `import type { paths } from "./gen/schema.js";`,
          `const client = createClient<paths>({ baseUrl: "https://example.test" });`,
          `const { data, error } = await client.GET(${JSON.stringify(call.path)}, { params: ${params} });`,
          `if (error) console.log(error); else console.log(data.${call.field});`,
        ]
      : [
          `import { createBenchClient } from "./gen/index.js";`,
          `const client = createBenchClient({ baseUrl: "https://example.test" });`,
          `const { data, error } = await client.${await operationName(dir, call.path)}({ params: ${params} });`,
          `if (error) console.log(error.kind); else console.log(data.${call.field});`,
        ];
  await writeFile(path.join(dir, "consumer.ts"), `${consumer.join("\n")}\n`);
}

/** The generated client function for `GET path`, read from the registry carewire wrote. */
async function operationName(dir, pathTemplate) {
  const operations = await readFile(path.join(dir, "gen/operations.ts"), "utf8");
  const escaped = pathTemplate.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`"name":\\s*"(\\w+)",\\s*"method":\\s*"get",\\s*"path":\\s*"${escaped}"`).exec(operations);
  if (!match) throw new Error(`no GET ${pathTemplate} in ${dir}/gen/operations.ts`);
  return match[1];
}

/**
 * The carewire project with its schemas left out (every operation without body schemas),
 * to show how much of the checking cost the schemas themselves are.
 */
export async function stubSchemas(dir) {
  await writeFile(
    path.join(dir, "gen/schemas.ts"),
    [
      `import type { OperationSchemas } from "carewire";`,
      `import type { OperationName } from "./operations.js";`,
      `export const componentSchemas = {};`,
      `export const operationSchemas = {} as Readonly<Record<OperationName, OperationSchemas>>;`,
      "",
    ].join("\n"),
  );
}
