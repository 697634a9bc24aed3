/**
 * Transaction and batch Bundles: entries reference each other through
 * `urn:uuid:` full URLs, which the server rewrites to the ids it assigns, so a Patient and
 * the Encounter that points at it go in one atomic request.
 */
import { randomId } from "../runtime/portable/random-id.js";
import type { Bundle, BundleEntry, Provenance, Reference, Resource } from "fhir/r4.js";
import { weakEtag } from "./interactions.js";
import { identifierCondition } from "./search.js";
import { provenanceFor, type ProvenanceOptions } from "./provenance.js";

export class BundleBuilder {
  private readonly entries: BundleEntry[] = [];

  constructor(private readonly type: "transaction" | "batch" = "transaction") {}

  /** Adds a create; returns the reference other entries use to point at it. */
  create<R extends Resource>(resource: R, options: { ifNoneExist?: string | "identifier" } = {}): Reference {
    const fullUrl = `urn:uuid:${randomId()}`;
    const condition = options.ifNoneExist === "identifier" ? identifierCondition(resource) : options.ifNoneExist;
    this.entries.push({ fullUrl, resource, request: { method: "POST", url: resource.resourceType, ...(condition ? { ifNoneExist: condition } : {}) } });
    return { reference: fullUrl };
  }

  /** Adds an update, guarded by the resource's `meta.versionId` when it has one. */
  update<R extends Resource & { id: string }>(resource: R): Reference {
    const version = resource.meta?.versionId;
    // No fullUrl: R4 wants it absolute, and the builder does not know the server's base.
    this.entries.push({
      resource,
      request: { method: "PUT", url: `${resource.resourceType}/${resource.id}`, ...(version ? { ifMatch: weakEtag(version) } : {}) },
    });
    return { reference: `${resource.resourceType}/${resource.id}` };
  }

  delete(resourceType: string, id: string): this {
    this.entries.push({ request: { method: "DELETE", url: `${resourceType}/${id}` } });
    return this;
  }

  /** Adds a Provenance for `targets` (references from create/update above). */
  provenance(targets: readonly Reference[], options: ProvenanceOptions, requestId: string): this {
    const record: Provenance = { ...provenanceFor(targets[0]!, options, requestId), target: [...targets] };
    this.entries.push({ resource: record, request: { method: "POST", url: "Provenance" } });
    return this;
  }

  get size(): number {
    return this.entries.length;
  }

  build(): Bundle {
    return { resourceType: "Bundle", type: this.type, entry: this.entries.map((e) => ({ ...e })) };
  }
}
