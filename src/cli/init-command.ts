/**
 * `carewire init`: a starter config in the current directory (and, when asked, a small
 * spec and an overlay skeleton), never over a file that is already there, then what to run.
 * `--add` puts one more provider into the config that is there.
 */
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_CONFIG_FILE } from "./main.js";
import { missingPackagesFor } from "./optional-packages.js";
import { parseCommandLine, UsageError } from "./usage-error.js";
import { isHttpUrl } from "../codegen/spec-location.js";

export interface InitCommandDeps {
  readonly cwd?: string;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
}

export async function initCommand(args: readonly string[], deps: InitCommandDeps = {}): Promise<number> {
  const { values } = parseCommandLine({
    args: [...args],
    options: {
      name: { type: "string", default: "example" },
      spec: { type: "string" },
      "sample-spec": { type: "boolean", default: false },
      overlay: { type: "boolean", default: false },
      add: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const cwd = deps.cwd ?? process.cwd();
  const name = values.name;
  // The same rule as the generator's (a directory and an identifier are made from it).
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UsageError(`--name "${name}" must be lower-case letters, digits and dashes, starting with a letter`);
  const spec = values.spec ?? `specs/${name}.openapi.yaml`;
  const remote = isHttpUrl(spec);
  if (values["sample-spec"] && remote) throw new UsageError("--sample-spec writes a file; it does not go with a --spec URL");
  const overlay = values.overlay ? `overlays/${name}.overlay.yaml` : undefined;

  // With --add, the config that is there gets the provider; otherwise a new one is written.
  const config = values.add ? await withProvider(path.join(cwd, DEFAULT_CONFIG_FILE), { name, spec, ...(overlay !== undefined ? { overlays: [overlay] } : {}) }) : undefined;
  const files = new Map<string, string>(config === undefined ? [[DEFAULT_CONFIG_FILE, starterConfig(name, spec, overlay)]] : []);
  if (values["sample-spec"]) files.set(spec, sampleSpec(name));
  if (overlay !== undefined) files.set(overlay, overlaySkeleton(name));

  // Every file is checked before any is written, and each is created exclusively: an
  // existing file is never replaced, and a refusal leaves the directory as it was.
  for (const file of files.keys()) {
    if (await exists(path.join(cwd, file))) {
      const hint = file === DEFAULT_CONFIG_FILE ? `--add --name <provider> --spec <file> adds a provider to it` : "move it away, or edit it instead";
      err(`carewire: init: ${file} already exists; nothing written (${hint})\n`);
      return 2;
    }
  }
  for (const [file, content] of files) {
    const absolute = path.join(cwd, file);
    await mkdir(path.dirname(absolute), { recursive: true });
    await writeFile(absolute, content, { flag: "wx" });
  }
  // The config is rewritten last, once the provider's own files are in place.
  if (config !== undefined) await writeFile(path.join(cwd, DEFAULT_CONFIG_FILE), config);
  const written = [...(config !== undefined ? [`${DEFAULT_CONFIG_FILE} (added ${name})`] : []), ...files.keys()];

  const specExists = values["sample-spec"] || remote || (await exists(path.resolve(cwd, spec)));
  // The generator's packages are optional peers: a fresh app has none of them yet.
  const toInstall = missingPackagesFor("generate");
  out(
    [
      `carewire: wrote ${written.join(", ")}`,
      "next:",
      ...(toInstall.length > 0 ? [`  npm i -D ${toInstall.join(" ")}   # what carewire generate needs`] : []),
      ...(specExists ? [] : [`  put ${name}'s OpenAPI spec at ${spec} (or set "spec" in ${DEFAULT_CONFIG_FILE} to its https:// URL)`]),
      ...(overlay !== undefined ? [`  add x-carewire-* hints to ${overlay} (the vendor's spec stays as published)`] : []),
      `  carewire generate            # the typed client, into ${INIT_OUT_DIR}/${name} (import it as ./gen/${name}/index.js from src/)`,
      "  carewire generate --watch    # and again whenever the spec, an overlay or the config changes",
      ...(remote ? [] : [`  carewire mock ${spec}   # a local simulator of the API`]),
      "",
    ].join("\n"),
  );
  return 0;
}

/**
 * The config at `file` with one more provider, as the text to write: refused (a usage error,
 * nothing written) when there is no config, it is not a config's JSON, or it has the name.
 */
async function withProvider(file: string, provider: { readonly name: string; readonly spec: string; readonly overlays?: readonly string[] }): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UsageError(`--add: there is no ${DEFAULT_CONFIG_FILE} here to add to (carewire init without --add writes one)`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw new UsageError(`--add: ${DEFAULT_CONFIG_FILE} is not valid JSON; nothing written`);
  }
  const providers = (config as { providers?: unknown } | null)?.providers;
  if (typeof config !== "object" || config === null || Array.isArray(config) || !Array.isArray(providers)) {
    throw new UsageError(`--add: ${DEFAULT_CONFIG_FILE} has no "providers" list; nothing written`);
  }
  if (providers.some((p) => (p as { name?: unknown } | null)?.name === provider.name)) {
    throw new UsageError(`--add: ${DEFAULT_CONFIG_FILE} already has a provider named "${provider.name}"; nothing written (pick another --name)`);
  }
  return `${JSON.stringify({ ...config, providers: [...providers, provider] }, null, 2)}\n`;
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Where a new app's clients go: inside `src`, so an app compiled with `rootDir: "src"` (the
 * usual setup) compiles them with the code that imports them.
 */
const INIT_OUT_DIR = "src/gen";

function starterConfig(name: string, spec: string, overlay: string | undefined): string {
  const provider = { name, spec, ...(overlay !== undefined ? { overlays: [overlay] } : {}) };
  return `${JSON.stringify({ outDir: INIT_OUT_DIR, providers: [provider] }, null, 2)}\n`;
}

function sampleSpec(name: string): string {
  return `# A small OpenAPI document to start from: replace it with your provider's spec.
openapi: 3.0.3
info:
  title: ${name} API
  version: 1.0.0
servers:
  - url: https://api.example.com
paths:
  /things:
    get:
      operationId: listThings
      summary: List things
      x-carewire-cache:
        policy: revalidate
      responses:
        "200":
          description: The things
          content:
            application/json:
              schema:
                type: array
                items: { $ref: "#/components/schemas/Thing" }
    post:
      operationId: createThing
      summary: Create a thing
      x-carewire-idempotency:
        header: Idempotency-Key
        required: false
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/NewThing" }
      responses:
        "201":
          description: Created
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Thing" }
  /things/{thingId}:
    get:
      operationId: getThing
      summary: Get a thing
      parameters:
        - { name: thingId, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: The thing
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Thing" }
        "404":
          description: No such thing
components:
  schemas:
    NewThing:
      type: object
      required: [label]
      properties:
        label: { type: string }
    Thing:
      type: object
      required: [id, label]
      properties:
        id: { type: string }
        label: { type: string }
`;
}

function overlaySkeleton(name: string): string {
  return `# OpenAPI Overlay 1.0: changes carewire applies to ${name}'s spec before generating, so
# x-carewire-* hints live here and the vendor's file stays as published. Each action's
# target is a JSONPath; update merges into what it selects, remove: true deletes it.
overlay: 1.0.0
info:
  title: carewire hints for ${name}
  version: 1.0.0
actions:
  - target: $
    description: The provider's published rate limit, shared by every operation.
    update:
      x-carewire-rate-limit:
        limit: 60
        windowSeconds: 60
        scope: client_id
  # - target: $.paths['/things'].post
  #   update:
  #     x-carewire-idempotency: { header: Idempotency-Key, required: false }
`;
}
