/**
 * `carewire generate --watch`: generates, then again whenever the config, a local spec or
 * an overlay changes, one line per run. A run that fails (a spec mid-edit) prints its one
 * line and the watch goes on; Ctrl-C or SIGTERM stops it (exit 0) once a run in progress ends.
 *
 * Directories are watched rather than files: editors save by writing a new file and
 * renaming it over the old one, which ends a watch on the file itself. The set of files
 * is worked out again after every run, as the config may have gained a provider.
 */
import { watch, type FSWatcher } from "node:fs";
import path from "node:path";
import type { GenerateReport, GenerateRequest } from "../codegen/run.js";
import { SpecError } from "../codegen/spec-error.js";
import { isHttpUrl } from "../codegen/spec-location.js";

export interface WatchDeps {
  /** Stops the watch like SIGINT does (tests). */
  readonly signal?: AbortSignal;
  readonly stdout?: (text: string) => void;
  /** Quiet time after a change before generating: a save is often several writes. */
  readonly debounceMs?: number;
}

export async function watchGenerate(request: GenerateRequest, deps: WatchDeps = {}): Promise<number> {
  const [{ runGenerate }, { loadConfig }] = await Promise.all([import("../codegen/run.js"), import("../codegen/config.js")]);
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const debounceMs = deps.debounceMs ?? 150;
  const watchers = new Map<string, FSWatcher>();
  let watched = new Set<string>();
  let runs = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const inputs = async (): Promise<string[]> => {
    if (request.mode === "single") return [request.spec, ...(request.overlays ?? [])];
    try {
      const config = await loadConfig(request.configFile);
      return [request.configFile, ...config.providers.flatMap((p) => [p.spec, ...p.overlays])];
    } catch {
      return [request.configFile]; // the run says what is wrong with it
    }
  };

  const rewatch = (files: readonly string[]) => {
    watched = new Set(files.filter((f) => !isHttpUrl(f)).map((f) => path.resolve(f)));
    const dirs = new Set([...watched].map((f) => path.dirname(f)));
    for (const [dir, watcher] of watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, (_event, name) => {
          if (name !== null && watched.has(path.join(dir, name.toString()))) changed();
        });
        watcher.on("error", () => watchers.delete(dir));
        watchers.set(dir, watcher);
      } catch {
        // A directory that does not exist (yet): nothing in it to watch.
      }
    }
  };

  const generateOnce = async () => {
    runs++;
    try {
      const report = await runGenerate({ ...request, check: false });
      out(`carewire: [${runs}] ${summary(report)}\n`);
    } catch (error) {
      const message = error instanceof SpecError ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`;
      out(`carewire: [${runs}] ${message.replace(/\s*\n\s*/g, " ")}; waiting for a change\n`);
    }
    rewatch(await inputs());
  };

  const run = () => {
    if (stopped) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    running = generateOnce().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        run();
      }
    });
  };

  function changed() {
    clearTimeout(timer);
    timer = setTimeout(run, debounceMs);
  }

  // Watching starts before the first run, so an edit made while it runs is not missed.
  rewatch(await inputs());
  run();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    deps.signal?.addEventListener("abort", stop, { once: true });
    if (deps.signal?.aborted) stop();
  });
  stopped = true;
  clearTimeout(timer);
  for (const watcher of watchers.values()) watcher.close();
  await running;
  out("carewire: stopped watching\n");
  return 0;
}

function summary(report: GenerateReport): string {
  const providers = report.providers.map((p) => `${p.name} (${p.operations} operations → ${p.outDir})`).join(", ");
  return `generated ${providers}`;
}
