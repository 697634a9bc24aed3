/**
 * Bulk Data `$export` jobs for the FHIR simulator: a job is "in progress" for a set number
 * of polls (202 with Retry-After and X-Progress), then its manifest lists one NDJSON file
 * per type and an error file. Files are written as they are read (with backpressure), from
 * the store plus optional synthetic resources, so an export can be far larger than memory.
 */
import type { ServerResponse } from "node:http";
import type { FhirStore } from "./fhir-store.js";

export interface BulkOptions {
  /** Polls answered 202 before the manifest. Default 2. */
  readonly pollsBeforeReady?: number;
  /** Retry-After on each 202, in seconds; `null` sends none (the client must back off on its own). Default 1. */
  readonly retryAfterSeconds?: number | null;
  /** Generated resources added to the export, per type (e.g. 200,000 Patients for a benchmark). */
  readonly synthetic?: Readonly<Record<string, number>>;
  /** OperationOutcome lines in the error file. Default 1. */
  readonly errors?: number;
}

interface Job {
  readonly types: readonly string[];
  readonly transactionTime: string;
  readonly request: string;
  polls: number;
}

export class BulkExports {
  private readonly jobs = new Map<string, Job>();
  private next = 1;

  constructor(
    private readonly store: FhirStore,
    private readonly base: () => string,
    private readonly options: BulkOptions,
    private readonly clock: () => number,
  ) {}

  start(params: URLSearchParams): string {
    const id = `job-${this.next++}`;
    const requested = params.get("_type")?.split(",").filter(Boolean);
    const types = requested ?? [...new Set([...Object.keys(this.options.synthetic ?? {}), "Patient"])];
    this.jobs.set(id, { types, transactionTime: new Date(this.clock()).toISOString(), request: `${this.base()}/$export?${params}`, polls: 0 });
    return id;
  }

  poll(id: string): { done: false; progress: string; retryAfterSeconds: number | null } | { done: true; manifest: object } | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    job.polls++;
    const needed = this.options.pollsBeforeReady ?? 2;
    if (job.polls <= needed) return { done: false, progress: `${Math.round((100 * (job.polls - 1)) / Math.max(1, needed))}%`, retryAfterSeconds: this.options.retryAfterSeconds === undefined ? 1 : this.options.retryAfterSeconds };
    const fileUrl = (name: string) => `${this.base()}/$export-file/${id}/${name}`;
    return {
      done: true,
      manifest: {
        transactionTime: job.transactionTime,
        request: job.request,
        requiresAccessToken: true,
        output: job.types.map((type) => ({ type, url: fileUrl(`${type}.ndjson`), count: this.store.count(type) + (this.options.synthetic?.[type] ?? 0) })),
        error: (this.options.errors ?? 1) > 0 ? [{ type: "OperationOutcome", url: fileUrl("errors.ndjson") }] : [],
      },
    };
  }

  async serveFile(id: string, name: string, res: ServerResponse): Promise<void> {
    const job = this.jobs.get(id);
    const type = name.replace(/\.ndjson$/, "");
    if (!job || (type !== "errors" && !job.types.includes(type))) {
      res.writeHead(404, { "content-type": "application/fhir+json" }).end(JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-found", diagnostics: "no such file" }] }));
      return;
    }
    res.writeHead(200, { "content-type": "application/fhir+ndjson" });
    // Backpressure: wait for the socket to drain; stop if the client goes away meanwhile.
    const write = async (line: string) => {
      if (res.write(`${line}\n`)) return;
      await new Promise<void>((resolve, reject) => {
        const drained = () => {
          res.off("close", gone);
          resolve();
        };
        const gone = () => {
          res.off("drain", drained);
          reject(new Error("client went away"));
        };
        res.once("drain", drained);
        res.once("close", gone);
      });
    };
    try {
      if (type === "errors") {
        for (let i = 0; i < (this.options.errors ?? 1); i++) await write(JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "processing", diagnostics: `resource ${i + 1} could not be exported` }] }));
      } else {
        for (const resource of this.store.all(type)) await write(JSON.stringify(resource));
        const synthetic = this.options.synthetic?.[type] ?? 0;
        for (let i = 0; i < synthetic; i++) await write(JSON.stringify(syntheticResource(type, i)));
      }
      res.end();
    } catch {
      res.destroy();
    }
  }
}

/** A plausible resource of about 1 kB, deterministic by index. */
function syntheticResource(type: string, i: number): object {
  return {
    resourceType: type,
    id: `syn-${i}`,
    meta: { versionId: "1", lastUpdated: "2026-01-01T00:00:00Z" },
    identifier: [{ system: "urn:carewire:synthetic", value: `S-${String(i).padStart(9, "0")}` }],
    active: true,
    name: [{ use: "official", family: `Family${i % 9973}`, given: [`Given${i % 7919}`, "Middle"] }],
    telecom: [{ system: "phone", value: `+1-555-${String(i % 10_000).padStart(4, "0")}`, use: "home" }],
    gender: ["female", "male", "other", "unknown"][i % 4],
    birthDate: `19${String(40 + (i % 60)).padStart(2, "0")}-0${1 + (i % 9)}-1${i % 10}`,
    address: [{ line: [`${i % 999} Synthetic Street`, "Unit 4"], city: "Springfield", state: "IL", postalCode: String(60_000 + (i % 999)), country: "US" }],
    text: { status: "generated", div: `<div xmlns="http://www.w3.org/1999/xhtml">Synthetic ${type} ${i} for export benchmarks: ${"lorem ipsum ".repeat(30)}</div>` },
  };
}
