// Jest runs the TypeScript sources as ESM (NODE_OPTIONS=--experimental-vm-modules, set by `npm test`).
// ts-jest only transpiles here; `npm test` type-checks everything with `tsc --noEmit` first.
/** @type {import('jest').Config} */
export default {
  testEnvironment: "<rootDir>/test/helpers/node-environment.cjs",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json", diagnostics: false }],
  },
  moduleNameMapper: {
    "^carewire$": "<rootDir>/src/index.ts",
    "^carewire/(codegen|testing|fhir|outbox|reconcile|webhooks|polling)$": "<rootDir>/src/$1/index.ts",
    "^carewire/zod$": "<rootDir>/src/zod.ts",
    "^carewire/fhir/r4$": "<rootDir>/src/fhir/r4.ts",
    "^(\\.{1,2}/.*)\\.js$": "$1",
  },
  testTimeout: 60000,
  // Two suites at a time, also on a 2-CPU machine (jest's default there is one): most suites
  // wait on servers, databases and child processes more than they compute, and the tests
  // run on fake clocks, so a busy CPU slows them without changing what they see.
  maxWorkers: 2,
};
