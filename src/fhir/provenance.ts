/**
 * FHIR Provenance for writes: who wrote what, when, from which source
 * system and request. Built here, sent by the client in the same transaction as the write.
 */
import type { Provenance, Reference } from "fhir/r4.js";

export interface ProvenanceOptions {
  /** The agent responsible: usually the integration's Device or Organization. */
  readonly agent: Reference;
  /** The source system, as a URI (also written to each resource's `meta.source`). */
  readonly source: string;
  /** `Provenance.activity` code (v3-DataOperation); the client fills it from the write (create or update) when absent. */
  readonly activity?: "CREATE" | "UPDATE";
}

export function provenanceFor(target: Reference, options: ProvenanceOptions, requestId: string, recorded = new Date()): Provenance {
  return {
    resourceType: "Provenance",
    target: [target],
    recorded: recorded.toISOString(),
    ...(options.activity ? { activity: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-DataOperation", code: options.activity }] } } : {}),
    agent: [{ type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: "author" }] }, who: options.agent }],
    entity: [{ role: "source", what: { identifier: { system: options.source, value: requestId } } }],
  };
}
