/**
 * openapi-typescript's run over a large spec file, in a worker thread of its own. Its syntax
 * tree takes over a gigabyte for a 47 MB spec; in the worker it lives and dies in the
 * worker's heap, which is returned when the worker ends. carewire then parses the spec for
 * its own files in a heap that never held the tree, so the process's peak memory is the
 * larger of the two steps, not their sum.
 *
 * The worker's code is a string: it needs no file of its own, so the same code runs from
 * carewire's sources and from its build. It loads openapi-typescript's and Redocly's
 * CommonJS builds from where this module resolves them.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** Spec files at least this large have their types made in a worker. */
export const TYPES_WORKER_MIN_BYTES = 16 * 1024 * 1024;

/** The openapi-typescript options carewire generates with, wherever it runs. */
export const TYPES_OPTIONS = {
  silent: true,
  // A default is applied by the server: a field that has one stays optional for the
  // client that sends it (openapi-typescript would otherwise make it required).
  defaultNonNullable: false,
  // An object schema that declares no properties (`type: object` alone, as specs write "any
  // object") takes any keys, as JSON Schema reads it: openapi-typescript would otherwise make it
  // `Record<string, never>`, which no value but `{}` fits.
  emptyObjectsUnknown: true,
} as const;

// An ES module from a data: URL, so it runs as one whatever flags the process has (an eval'd
// string would follow --input-type). It loads the CommonJS builds by their resolved paths.
const WORKER_SOURCE = `
import { parentPort, workerData } from "node:worker_threads";
try {
  const { default: openapiTS, astToString } = (await import(workerData.openapiTypescript)).default;
  const { createConfig } = (await import(workerData.redocly)).default;
  // No lint rules: carewire's loader has checked the document already.
  const redocly = await createConfig({ rules: {} }, {});
  const ast = await openapiTS(new URL(workerData.specUrl), { ...workerData.options, redocly });
  parentPort.postMessage({ types: astToString(ast) });
} catch (error) {
  parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
}
`;

/** openapi-typescript refused the spec (an unresolvable $ref, say): the spec's problem, not the worker's. */
export class OpenApiTypesError extends Error {}

/** schema.d.ts's text for the spec file, made in a worker thread. */
export function typesInWorker(specFile: string): Promise<string> {
  const require = createRequire(import.meta.url);
  const workerData = {
    specUrl: pathToFileURL(specFile).href,
    openapiTypescript: pathToFileURL(require.resolve("openapi-typescript")).href,
    redocly: pathToFileURL(require.resolve("@redocly/openapi-core")).href,
    options: TYPES_OPTIONS,
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`), { workerData });
    worker.once("message", (message: { types?: string; error?: string }) => {
      if (typeof message.types === "string") resolve(message.types);
      else reject(new OpenApiTypesError(message.error ?? "no answer"));
    });
    worker.once("error", reject);
    // Settles nothing once a message came; otherwise the worker died without answering.
    worker.once("exit", (code) => reject(new Error(`the types worker for ${specFile} stopped (exit ${code}) before answering`)));
  });
}
