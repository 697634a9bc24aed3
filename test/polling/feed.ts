/**
 * An in-memory FHIR-like feed for poller tests: resources written at chosen instants,
 * searched the way fhirChangesTarget asks (`_lastUpdated=ge…`, oldest first, paged, or the
 * newest first to find where to start), with
 * failures a test can script (a 429, an open circuit) and a count of searches.
 */
import type { Bundle, Patient } from "fhir/r4.js";
import type { ChangedSinceSearch } from "../../src/polling/index.js";

export class Feed implements ChangedSinceSearch<Patient> {
  private readonly resources = new Map<string, Patient>();
  /** Thrown by the next searches, one each. */
  readonly failures: Error[] = [];
  searches = 0;

  /** Writes (or rewrites) a patient at `at` (epoch ms), a new version each time. */
  write(id: string, at: number): void {
    const version = Number(this.resources.get(id)?.meta?.versionId ?? 0) + 1;
    this.resources.set(id, { resourceType: "Patient", id, meta: { versionId: String(version), lastUpdated: new Date(at).toISOString() } });
  }

  /** The server's clock: when set, each search answer carries it as the Bundle's `meta.lastUpdated`. */
  serverNow: (() => number) | undefined;

  async *searchPages(params: { readonly _lastUpdated?: string; readonly _sort: string; readonly _count: number }): AsyncGenerator<Bundle<Patient>, void, undefined> {
    this.searches++;
    const failure = this.failures.shift();
    if (failure) throw failure;
    const from = params._lastUpdated === undefined ? Number.NEGATIVE_INFINITY : Date.parse(params._lastUpdated.slice(2));
    const at = (r: Patient) => Date.parse(r.meta!.lastUpdated!);
    const matches = [...this.resources.values()].filter((r) => at(r) >= from).sort((a, b) => (params._sort === "-_lastUpdated" ? at(b) - at(a) : at(a) - at(b)));
    const meta = this.serverNow === undefined ? {} : { meta: { lastUpdated: new Date(this.serverNow()).toISOString() } };
    for (let offset = 0; offset === 0 || offset < matches.length; offset += params._count) {
      const page = matches.slice(offset, offset + params._count);
      const link = offset + params._count < matches.length ? [{ relation: "next", url: "next" }] : [];
      yield { resourceType: "Bundle", type: "searchset", ...meta, link, entry: page.map((resource) => ({ resource, search: { mode: "match" } })) };
    }
  }
}

/** Moves a manual FakeClock on by `ms` in steps, letting every poll that falls due run. */
export async function run(clock: { advance(ms: number): Promise<void> }, ms: number, stepMs = 500): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) await clock.advance(Math.min(stepMs, ms - done));
}

/** Stops the poller while the clock moves on a second (a poll in flight ends on fake time). */
export async function stopOnClock(clock: { advance(ms: number): Promise<void> }, p: { stop(): Promise<void> }): Promise<void> {
  const stopping = p.stop();
  await run(clock, 1_000);
  await stopping;
}

/** `version` keys of handed-off patients, in hand-off order. */
export const versions = (patients: readonly Patient[]) => patients.map((p) => `${p.id}@${p.meta?.versionId}`);
