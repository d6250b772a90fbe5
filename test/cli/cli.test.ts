import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import { startTestApp, TEST_DATA_KEY, type TestApp } from "../support/app.js";
import { keyFile, logLines, runCli, startServe, stopServe, useCliWorkspace } from "../support/cli.js";
import { databaseUrl, withAdmin } from "../support/database.js";
import { registerUser, uniqueEmail } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

useCliWorkspace();

describe("user-service CLI", () => {
  describe("configuration", () => {
    // `worker` exits at once when the configuration is good, so a wrongly accepted value fails fast.
    it.each([
      ["JWT_PRIVATE_KEY_FILE", "DATABASE_URL is set without it", { DATABASE_URL: "postgres://root@127.0.0.1:5432/postgres" }],
      ["PORT", "it is not a number", { PORT: "abc" }],
      ["DATA_ENCRYPTION_KEY", "it is not 32 bytes of base64", { DATA_ENCRYPTION_KEY: randomBytes(16).toString("base64") }],
      ["REDIS_URL", "it is not a redis:// URL", { REDIS_URL: "ftp://x" }],
    ])("exits non-zero naming %s when %s", async (variable, _, env) => {
      const result = await runCli(["worker"], env);
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toContain(variable);
    });
  });

  describe("worker", () => {
    it("refuses to run without Postgres and Redis, naming the variable: embedded mode runs the jobs in serve", async () => {
      const embedded = await runCli(["worker"]);
      expect(embedded.code).toBe(2);
      expect(embedded.stderr).toContain("DATABASE_URL: is required by worker");
      const noRedis = await runCli(["worker"], { DATABASE_URL: "postgres://root@127.0.0.1:5432/postgres", JWT_PRIVATE_KEY_FILE: keyFile, DATA_ENCRYPTION_KEY: TEST_DATA_KEY.toString("base64") });
      expect(noRedis.code).toBe(2);
      expect(noRedis.stderr).toContain("REDIS_URL: is required by worker");
    });
  });

  describe("help", () => {
    it.each([["--help"], ["help"], ["-h"]])("prints every command with `%s` and exits 0", async (flag) => {
      const result = await runCli([flag]);
      expect(result.code).toBe(0);
      for (const verb of ["serve", "migrate", "grant-role", "revoke-role", "worker", "dead-letters", "requeue-dead-letters"]) expect(result.stdout).toContain(`user-service ${verb}`);
    });

    it.each([
      ["serve", ["serve", "-h"]],
      ["migrate", ["migrate", "--help"]],
      ["grant-role", ["help", "grant-role"]],
      ["revoke-role", ["revoke-role", "-h"]],
      ["worker", ["worker", "-h"]],
      ["requeue-dead-letters", ["requeue-dead-letters", "-h"]],
    ])("prints %s's usage (%j) and exits 0", async (verb, args) => {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^usage: user-service ${verb}`));
    });

    it("asks which dead letters to re-queue rather than re-queue them all unasked", async () => {
      const none = await runCli(["requeue-dead-letters"]);
      expect(none.code).toBe(64);
      expect(none.stderr).toContain("needs --all, --queue or --id");
      const badId = await runCli(["requeue-dead-letters", "--id", "42"]);
      expect(badId.code).toBe(64);
      expect(badId.stderr).toContain('"42" is not a dead letter id');
    });

    it("names the roles that exist when given one that does not", async () => {
      const result = await runCli(["grant-role", "--email", "ann@example.com", "--role", "root"]);
      expect(result.code).toBe(64);
      expect(result.stderr).toContain('unknown role "root"');
      expect(result.stderr).toContain("admin, compliance_officer, support");
    });
  });

  describe("unknown verb", () => {
    it("exits non-zero and prints the usage", async () => {
      const result = await runCli(["frobnicate"]);
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toMatch(/usage: user-service/);
    });
  });
});

describeWithServices("user-service CLI against Postgres", () => {
  describe("migrate", () => {
    const name = `user_service_cli_${randomBytes(6).toString("hex")}`;
    beforeAll(() => withAdmin((client) => client.query(`create database "${name}"`)));
    afterAll(() => withAdmin((client) => client.query(`drop database if exists "${name}" with (force)`)));

    it("applies every migration to an empty database, then finds nothing to do", async () => {
      const env = { DATABASE_URL: databaseUrl(name), JWT_PRIVATE_KEY_FILE: keyFile };
      const first = await runCli(["migrate"], env);
      expect(first.code).toBe(0);
      const applied = logLines(first.stdout).find((line) => Array.isArray(line.migrations))?.migrations as string[] | undefined;
      expect(applied?.length).toBeGreaterThan(0);

      const db = new pg.Client({ connectionString: databaseUrl(name) });
      await db.connect();
      try {
        const { rows } = await db.query<{ users: string | null }>("select to_regclass('public.users')::text as users");
        expect(rows[0]?.users).toBe("users");
      } finally {
        await db.end();
      }

      const second = await runCli(["migrate"], env);
      expect(second.code).toBe(0);
      expect(logLines(second.stdout).find((line) => Array.isArray(line.migrations))?.migrations).toEqual([]);
    });
  });

  describe("grant-role and serve", () => {
    let t: TestApp;
    let env: Record<string, string>;
    beforeAll(async () => {
      t = await startTestApp();
      env = { DATABASE_URL: t.database!.url, JWT_PRIVATE_KEY_FILE: keyFile, DATA_ENCRYPTION_KEY: TEST_DATA_KEY.toString("base64") };
    });
    afterAll(() => t?.close());

    describe("grant-role", () => {
      it("grants a platform role to a registered user and records it in the audit trail", async () => {
        const user = await registerUser(t);
        const result = await runCli(["grant-role", "--email", user.email, "--role", "support"], env);
        expect(result.code).toBe(0);

        const grant = await t.db.selectFrom("platform_role_grants").select("role").where("user_id", "=", user.userId).execute();
        expect(grant).toEqual([{ role: "support" }]);
        const audit = await t.db
          .selectFrom("audit_trail")
          .select(["action", "actor_user_id"])
          .where("resource_id", "=", user.userId)
          .where("action", "=", "platform_role.grant")
          .execute();
        expect(audit).toEqual([{ action: "platform_role.grant", actor_user_id: null }]);
      });

      it("exits non-zero for an email no account has", async () => {
        const result = await runCli(["grant-role", "--email", uniqueEmail("nobody"), "--role", "support"], env);
        expect(result.code).not.toBe(0);
        expect(result.code).not.toBeNull();
      });

      it("exits non-zero with the usage for a role that does not exist", async () => {
        const user = await registerUser(t);
        const result = await runCli(["grant-role", "--email", user.email, "--role", "superuser"], env);
        expect(result.code).not.toBe(0);
        expect(result.code).not.toBeNull();
        expect(result.stderr).toMatch(/usage: user-service/);
        expect(await t.db.selectFrom("platform_role_grants").select("role").where("user_id", "=", user.userId).execute()).toEqual([]);
      });
    });

    describe("serve", () => {
      it("serves on the port it logs and exits 0 on SIGTERM", async () => {
        const serving = await startServe(env);
        try {
          expect((await fetch(`http://127.0.0.1:${serving.port}/healthz`)).status).toBe(200);
          // Postgres without Redis keeps limits and revocations in the process: it says so.
          expect(serving.lines.find((line) => line.mode === "postgres")).toMatchObject({ level: "warn", msg: expect.stringMatching(/single replica/) });
          expect(serving.lines.find((line) => line.msg === "listening")).toMatchObject({ url: `http://127.0.0.1:${serving.port}` });
          expect(await stopServe(serving)).toBe(0);
        } finally {
          await stopServe(serving, "SIGKILL");
        }
      });

      it.each([
        ["JWT_PRIVATE_KEY_FILE", { JWT_PRIVATE_KEY_FILE: "/nonexistent/jwt.pem" }],
        ["JWT_PREVIOUS_KEY_FILES", { JWT_PREVIOUS_KEY_FILES: "/nonexistent/old.pem" }],
      ])("exits 2 naming %s when that key file cannot be read", async (variable, broken) => {
        const result = await runCli(["serve"], { ...env, ...broken, PORT: "0", HOST: "127.0.0.1" });
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(variable);
      });
    });

    describe("dead-letters and requeue-dead-letters", () => {
      it("lists the jobs that failed for good and queues the chosen ones again as new jobs", async () => {
        const failed = { queue: "maintenance", job_name: "record", payload: JSON.stringify({ userId: randomUUID() }), attempts: 5, error: "Error: the processor broke" };
        const [first, second] = [randomUUID(), randomUUID()];
        await t.db.insertInto("dead_letters").values([{ id: first, ...failed }, { id: second, ...failed, queue: "notifications" }]).execute();

        const listed = await runCli(["dead-letters"], env);
        expect(listed.code).toBe(0);
        const letters = listed.stdout.split("\n").filter((line) => line.startsWith('{"id"')).map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(letters).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ id: first, queue: "maintenance", jobName: "record", attempts: 5, error: "Error: the processor broke" }),
            expect.objectContaining({ id: second, queue: "notifications" }),
          ]),
        );

        const requeued = await runCli(["requeue-dead-letters", "--id", first], env);
        expect(requeued.code).toBe(0);
        const row = await t.db.selectFrom("dead_letters").select(["requeued_as", "requeued_at"]).where("id", "=", first).executeTakeFirstOrThrow();
        expect(row.requeued_at).not.toBeNull();
        const job = await t.db.selectFrom("outbox").selectAll().where("id", "=", row.requeued_as!).executeTakeFirstOrThrow();
        expect(job).toMatchObject({ queue: "maintenance", job_name: "record", payload: JSON.parse(failed.payload) });
        expect(await t.db.selectFrom("dead_letters").select("requeued_at").where("id", "=", second).executeTakeFirstOrThrow()).toEqual({ requeued_at: null });

        const again = await runCli(["dead-letters", "--queue", "maintenance"], env);
        expect(again.stdout).not.toContain(first);
      });
    });
  });
});
