/** `carewire/codegen`: the generator as a library (the CLI is a thin layer over it). */
export { runGenerate, type GenerateReport, type GenerateRequest } from "./run.js";
export { generateProvider, type GeneratedProvider, type GenerateTarget } from "./generate.js";
export { loadSpec, type LoadedSpec, type LoadSpecOptions } from "./load-spec.js";
export type { SpecFetchLimits } from "./fetch-spec.js";
export { buildRegistry, type RegistryEntry } from "./build-registry.js";
export { SpecError, type SpecErrorKind } from "./spec-error.js";
export { TemplateSet, DEFAULT_TEMPLATE_DIR } from "./render.js";
export type { TemplateName } from "./render.js";
export type { JsonObject } from "./json.js";
