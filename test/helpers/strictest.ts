/** The strictest settings an app may compile with: generated code must compile under them. */
export const STRICTEST_FLAGS = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitOverride: true,
} as const;
