import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "@jest/globals";
import { withAdmin } from "../support/database.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const repo = fileURLToPath(new URL("../../", import.meta.url));
// Two small suites that need Postgres and Redis.
const SUITES = ["test/auth/logout.test.ts", "test/auth/refresh-token.test.ts"];

/** npmTest runs `npm test` (scripts/run-tests.js) on SUITES in a child process, as a person would. */
function npmTest(env: Record<string, string>): Promise<{ code: number | null; output: string; lastLine: string | undefined }> {
  const { TEST_SERVICES: _, TEST_TEMPLATE_DATABASE: __, REQUIRE_SERVICES: ___, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, ["scripts/run-tests.js", ...SUITES], { cwd: repo, env: { ...inherited, ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, output: stdout + stderr, lastLine: stdout.trimEnd().split("\n").at(-1) }),
    );
  });
}

const templates = () =>
  withAdmin((admin) => admin.query<{ datname: string }>("select datname from pg_database where datname like 'user_service_tpl_%'")).then((r) =>
    r.rows.map((row) => row.datname).sort(),
  );

describe("npm test", () => {
  it("says once that the services are missing, skips their suites, and counts them skipped in its last line", async () => {
    const { code, output, lastLine } = await npmTest({ TEST_POSTGRES_URL: "postgres://root@127.0.0.1:1/postgres" });
    expect(code).toBe(0);
    expect(output.match(/not reachable: skipping/g)).toHaveLength(1);
    expect(lastLine).toMatch(/^0 passed, 0 failed, [1-9]\d* skipped$/);
  }, 130_000);

  it("fails under REQUIRE_SERVICES=1 when a service is missing", async () => {
    const { code, output } = await npmTest({ TEST_REDIS_URL: "redis://127.0.0.1:1", REQUIRE_SERVICES: "1" });
    expect(code).not.toBe(0);
    expect(output).toContain("REQUIRE_SERVICES=1 but Redis cannot be reached");
  }, 130_000);
});

describeWithServices("npm test with the services", () => {
  it("runs the suites and leaves no template database behind", async () => {
    const before = await templates();
    const { code, lastLine } = await npmTest({});
    expect(code).toBe(0);
    expect(lastLine).toMatch(/^[1-9]\d* passed, 0 failed, 0 skipped$/);
    expect(await templates()).toEqual(before);
  }, 130_000);
});
