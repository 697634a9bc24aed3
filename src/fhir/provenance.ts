/**
 * FHIR Provenance for writes: who wrote what, when, from which source system, under which
 * write key. One logical write has one key; the written resource and its Provenance both
 * carry `meta.source = <source>#<key>`, so a repeat of the write (a retry, a replay after a
 * lost answer, another instance writing the same record) can find both instead of adding
 * a second of either.
 */
import type { Provenance, Reference } from "fhir/r4.js";

export interface ProvenanceOptions {
  /** The agent responsible: usually the integration's Device or Organization. */
  readonly agent: Reference;
  /** The source system, as a URI (also written, with the write key, to each resource's `meta.source`). */
  readonly source: string;
  /** `Provenance.activity` code (v3-DataOperation); the client fills it from the write (create or update) when absent. */
  readonly activity?: "CREATE" | "UPDATE";
}

/** `meta.source` of a write and of its Provenance: the source system and the write's key. */
export function writeSource(options: Pick<ProvenanceOptions, "source">, writeKey: string): string {
  return `${options.source}#${writeKey}`;
}

/** A Provenance naming `target`; `key` (the write key, or the caller's own id) is the source entity's identifier. */
export function provenanceFor(target: Reference, options: ProvenanceOptions, key: string, recorded = new Date()): Provenance {
  return {
    resourceType: "Provenance",
    target: [target],
    recorded: recorded.toISOString(),
    ...(options.activity ? { activity: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-DataOperation", code: options.activity }] } } : {}),
    agent: [{ type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: "author" }] }, who: options.agent }],
    entity: [{ role: "source", what: { identifier: { system: options.source, value: key } } }],
  };
}
