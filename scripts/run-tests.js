// Runs jest (native ESM needs --experimental-vm-modules) and ends the output with one line,
// "N passed, M failed, K skipped", taken from jest's own results. Arguments are passed on to jest.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const jest = path.join(path.dirname(createRequire(import.meta.url).resolve("jest/package.json")), "bin", "jest.js");
const resultsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "jest-")), "results.json");
const run = spawnSync(
  process.execPath,
  ["--experimental-vm-modules", "--no-warnings=ExperimentalWarning", jest, "--json", `--outputFile=${resultsFile}`, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
let summary = "0 passed, 1 failed, 0 skipped (jest produced no results)";
if (fs.existsSync(resultsFile)) {
  const results = JSON.parse(fs.readFileSync(resultsFile, "utf8"));
  // Suites that crash before running a test count as failures too.
  const skipped = results.numPendingTests + results.numTodoTests;
  summary = `${results.numPassedTests} passed, ${results.numFailedTests + results.numRuntimeErrorTestSuites} failed, ${skipped} skipped`;
}
process.stdout.write(`\n${summary}\n`);
process.exit(run.status ?? 1);
