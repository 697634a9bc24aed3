import { SpecError } from "carewire/codegen";

/** Runs `fn` and returns the SpecError it throws; fails the test if it throws nothing or something else. */
export function specErrorOf(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error("expected a SpecError, nothing was thrown");
}
