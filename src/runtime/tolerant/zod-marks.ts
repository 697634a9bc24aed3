/**
 * Marks on hand-written zod schemas the tolerant reader honours. Kept apart from zod
 * itself, so the runtime reads zod schemas without importing zod: only an app that
 * writes schemas with `carewire/zod` loads it.
 */

/** Objects whose declared properties are the contract: unknown keys are kept and reported. */
export const tolerantShapes = new WeakSet<object>();

/** Fields whose violation the caller must not tolerate (what `x-carewire-critical` marks in a spec). */
export const criticalSchemas = new WeakSet<object>();
