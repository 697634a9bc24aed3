/**
 * `carewire/zod`: body schemas written by hand with zod, read by the same tolerant reader
 * as generated ones. A separate entry, so apps that only use generated clients never
 * load zod.
 */
import { z, type ZodType } from "zod";
import { criticalSchemas, tolerantShapes } from "./runtime/tolerant/zod-marks.js";

export { z };

/** A zod object that keeps unknown keys (reported as drift when read tolerantly). */
export function tolerantObject<Shape extends z.core.$ZodLooseShape>(shape: Shape): z.ZodObject<Shape, z.core.$loose> {
  const schema = z.looseObject(shape);
  tolerantShapes.add(schema);
  return schema;
}

/** Marks a property's zod schema critical: a violation is a ContractViolationError, not drift. */
export function critical<T extends ZodType>(schema: T): T {
  criticalSchemas.add(schema);
  return schema;
}
