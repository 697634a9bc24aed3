import ts from "typescript";

/** The strictest settings an app may compile with: generated code must compile under them. */
export const STRICTEST_FLAGS = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitOverride: true,
} as const;

/**
 * A program over generated code as an app on NodeNext would compile it, with the strictest
 * flags, carewire read from source, no ambient types and nothing written. Each test adds
 * what it is about (skipLibCheck, further flags).
 */
export const STRICTEST_PROGRAM: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  customConditions: ["carewire-source"],
  ...STRICTEST_FLAGS,
  noEmit: true,
  types: [],
};
