import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import { CLI_TIMEOUT_MS, connectCall, keyFile, logLines, runCli, startServe, stopServe, useCliWorkspace, workDir, type CliResult } from "../support/cli.js";
import { TEST_DATA_KEY } from "../support/app.js";
import { databaseUrl, withAdmin } from "../support/database.js";
import { uniqueEmail } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

useCliWorkspace();

describe("user-service start-up", () => {
  describe("start-up failures", () => {
    /** oneLineNaming checks a start-up failure: non-zero exit, one line on stderr naming the variable, no stack. */
    function expectOneLineNaming(result: CliResult, variable: string): void {
      expect(result.code).toBe(2);
      const lines = result.stderr.split("\n").filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^configuration error: ${variable}: `));
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }

    it("names HOST when it does not resolve, before creating anything under DATA_DIR", async () => {
      const dataDir = path.join(workDir, "unresolvable-host");
      const result = await runCli(["serve"], { HOST: "no-such-host.invalid", PORT: "0", DATA_DIR: dataDir });
      expectOneLineNaming(result, "HOST");
      await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
    });

    it("names JWT_PRIVATE_KEY_FILE before creating anything under DATA_DIR", async () => {
      const dataDir = path.join(workDir, "missing-key");
      const result = await runCli(["serve"], { JWT_PRIVATE_KEY_FILE: "/nonexistent/jwt.pem", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir });
      expectOneLineNaming(result, "JWT_PRIVATE_KEY_FILE");
      await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
    });

    it("names PORT when the port is in use, before creating anything under DATA_DIR", async () => {
      const taken = net.createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = taken.address() as net.AddressInfo;
        const dataDir = path.join(workDir, "port-in-use");
        const result = await runCli(["serve"], { PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir });
        expectOneLineNaming(result, "PORT");
        expect(result.stderr).toContain(`${port} is already in use`);
        await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });

    it("names REDIS_URL within REDIS_CONNECT_TIMEOUT_MS when Redis cannot be reached, logging only JSON", async () => {
      const started = Date.now();
      const result = await runCli(["serve"], {
        REDIS_URL: "redis://:secret-password@127.0.0.1:1",
        REDIS_CONNECT_TIMEOUT_MS: "1000",
        PORT: "0",
        HOST: "127.0.0.1",
        DATA_DIR: path.join(workDir, "no-redis"),
      });
      expect(Date.now() - started).toBeLessThan(CLI_TIMEOUT_MS - 5_000);
      expectOneLineNaming(result, "REDIS_URL");
      expect(result.stderr).toContain("connection refused");
      expect(result.stderr + result.stdout).not.toContain("secret-password");
      expect(result.stdout + result.stderr).not.toContain("Unhandled error event");
      for (const line of result.stdout.split("\n").filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    });
  });

  describe("embedded DATA_DIR", () => {
    const signUp = (port: number, email: string) =>
      connectCall(port, "AuthService/Register", { email, password: "violet-harbor-lantern-91", fullName: "Lock Tester" });
    const signIn = (port: number, email: string) => connectCall(port, "AuthService/Login", { email, password: "violet-harbor-lantern-91" });

    it("belongs to one process: a second serve or rotate-keys refuses at once, and a crashed owner's lock is taken over", async () => {
      const env = { DATA_DIR: path.join(workDir, "owned") };
      const first = await startServe(env);
      const email = uniqueEmail("lock");
      try {
        expect((await signUp(first.port, email)).status).toBe(200);
        expect(first.lines.find((line) => line.mode === "embedded")).toMatchObject({ dataDir: env.DATA_DIR });
        expect(first.lines.find((line) => line.msg === "generated an access-token signing key")).toMatchObject({ file: path.join(env.DATA_DIR, "jwt-signing-key.pem") });

        const second = await runCli(["serve"], { ...env, PORT: "0", HOST: "127.0.0.1" });
        expect(second.code).toBe(2);
        expect(second.stderr).toMatch(/^configuration error: DATA_DIR: .* in use by another user-service process \(pid \d+/);
        expect(second.stderr).toContain(`pid ${first.child.pid}`);

        // Verbs that open the database themselves refuse too (grant-role asks the server instead).
        const rotate = await runCli(["rotate-keys"], env);
        expect(rotate.code).toBe(2);
        expect(rotate.stderr).toContain("DATA_DIR");
      } finally {
        expect(await stopServe(first, "SIGKILL")).toBeNull();
      }

      // The crash left the lock behind; its process is gone, so the next start takes it over.
      const lock = JSON.parse(await fs.readFile(path.join(env.DATA_DIR, "user-service.lock"), "utf8")) as { pid: number };
      expect(lock.pid).toBe(first.child.pid);
      const restarted = await startServe(env);
      try {
        const login = await signIn(restarted.port, email);
        expect(login.status).toBe(200);
        expect(login.body).toHaveProperty("tokens");
        expect(restarted.lines.find((line) => line.msg === "using the access-token signing key under DATA_DIR")).toBeDefined();
      } finally {
        expect(await stopServe(restarted)).toBe(0);
      }
      // A clean stop releases the lock, and grant-role may now use the database.
      await expect(fs.stat(path.join(env.DATA_DIR, "user-service.lock"))).rejects.toMatchObject({ code: "ENOENT" });
      const grant = await runCli(["grant-role", "--email", email, "--role", "admin"], env);
      expect(grant.code).toBe(0);
      expect(logLines(grant.stdout).find((line) => line.msg === "role granted")).toBeDefined();
    }, 90_000);
  });

});

describeWithServices("user-service start-up against Postgres", () => {
  describe("start-up failures", () => {
    it("names DATABASE_URL when nothing listens there, without echoing its password", async () => {
      const result = await runCli(["serve"], { DATABASE_URL: "postgres://root:secret-password@127.0.0.1:1/x", JWT_PRIVATE_KEY_FILE: keyFile, DATA_ENCRYPTION_KEY: TEST_DATA_KEY.toString("base64"), PORT: "0" });
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe("configuration error: DATABASE_URL: cannot reach postgres://127.0.0.1:1/x: connection refused");
    });

    it("names DATABASE_URL when its database does not exist, and says how to create it", async () => {
      const name = `user_service_missing_${randomBytes(6).toString("hex")}`;
      const result = await runCli(["serve"], { DATABASE_URL: databaseUrl(name), JWT_PRIVATE_KEY_FILE: keyFile, DATA_ENCRYPTION_KEY: TEST_DATA_KEY.toString("base64"), PORT: "0" });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^configuration error: DATABASE_URL: .*the database does not exist \(`user-service migrate` creates it\)\n$/);
    });

    it("refuses an unreadable key file before migrating anything", async () => {
      const name = `user_service_cli_${randomBytes(6).toString("hex")}`;
      await withAdmin((client) => client.query(`create database "${name}"`));
      try {
        const result = await runCli(["serve", "--migrate"], { DATABASE_URL: databaseUrl(name), JWT_PRIVATE_KEY_FILE: "/nonexistent/jwt.pem", PORT: "0" });
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("JWT_PRIVATE_KEY_FILE");
        const db = new pg.Client({ connectionString: databaseUrl(name) });
        await db.connect();
        try {
          const { rows } = await db.query<{ tables: string }>("select count(*)::text as tables from pg_tables where schemaname = 'public'");
          expect(rows[0]?.tables).toBe("0");
        } finally {
          await db.end();
        }
      } finally {
        await withAdmin((client) => client.query(`drop database if exists "${name}" with (force)`));
      }
    });
  });

  describe("migrate into a database that does not exist yet", () => {
    const name = `user_service_created_${randomBytes(6).toString("hex")}`;
    afterAll(() => withAdmin((client) => client.query(`drop database if exists "${name}" with (force)`)));

    it("creates the database, then applies every migration", async () => {
      const result = await runCli(["migrate"], { DATABASE_URL: databaseUrl(name), JWT_PRIVATE_KEY_FILE: keyFile });
      expect(result.code).toBe(0);
      expect(logLines(result.stdout).find((line) => line.msg === "database created")).toMatchObject({ database: name });
      expect((logLines(result.stdout).find((line) => Array.isArray(line.migrations))?.migrations as string[]).length).toBeGreaterThan(0);
    });
  });

});
