// Runs once per jest run, before any suite: checks for Postgres and Redis (saying once, not per
// suite, when they are missing) and builds the run's migrated template database. Both reach the
// test workers through the environment, which they inherit. Jest loads this file as plain ESM,
// outside its transform, so the TypeScript helpers come in through tsx.
import { tsImport } from "tsx/esm/api";

export default async function globalSetup() {
  // What a run says to its workers is its own: nothing inherited from a run that started this one.
  delete process.env.TEST_SERVICES;
  delete process.env.TEST_TEMPLATE_DATABASE;
  const { probeServices } = await tsImport("./services.ts", import.meta.url);
  const missing = await probeServices();
  if (missing.length > 0) {
    const what = missing.join(" and ");
    if (process.env.REQUIRE_SERVICES === "1") throw new Error(`REQUIRE_SERVICES=1 but ${what} cannot be reached`);
    process.stderr.write(`\n${what} not reachable: skipping the suites that need them (REQUIRE_SERVICES=1 makes this a failure)\n`);
    process.env.TEST_SERVICES = "missing";
    return;
  }
  const { createTemplateDatabase } = await tsImport("./database.ts", import.meta.url);
  process.env.TEST_SERVICES = "available";
  process.env.TEST_TEMPLATE_DATABASE = await createTemplateDatabase();
}
