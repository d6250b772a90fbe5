/** Jest runs the TypeScript sources as native ES modules through SWC (no type checking: `npm run typecheck`). */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Checks for Postgres and Redis once and builds the run's template database; teardown drops it.
  globalSetup: "<rootDir>/test/support/global-setup.js",
  globalTeardown: "<rootDir>/test/support/global-teardown.js",
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } }],
  },
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  // Every suite starts servers and opens databases; two workers keep a 2-core machine responsive.
  maxWorkers: 2,
  testTimeout: 30_000,
};
