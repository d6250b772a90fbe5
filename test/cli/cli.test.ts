import { execFile, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser, uniqueEmail } from "../support/factories.js";
import { POSTGRES_ADMIN_URL, servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const CLI = fileURLToPath(new URL("../../bin/user-service.js", import.meta.url));
// Each run compiles the sources through tsx: a few seconds on a busy 2-core machine.
const CLI_TIMEOUT_MS = 20_000;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let workDir: string;
let keyFile: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-cli-"));
  keyFile = path.join(workDir, "jwt.pem");
  await fs.writeFile(keyFile, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
});
afterAll(() => fs.rm(workDir, { recursive: true, force: true }));

/** cliEnv is a clean environment: nothing leaks in from the test runner's own. */
const cliEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? "", HOME: workDir, DATA_DIR: path.join(workDir, "data"), ...env });

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: workDir, env: cliEnv(env), timeout: CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** logLines parses the CLI's JSON log lines from stdout. */
const logLines = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

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
    it("says there are no queues yet and exits 0", async () => {
      const result = await runCli(["worker"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("no queues yet");
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
    beforeAll(() => admin((client) => client.query(`create database "${name}"`)));
    afterAll(() => admin((client) => client.query(`drop database if exists "${name}" with (force)`)));

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
      env = { DATABASE_URL: t.database!.url, JWT_PRIVATE_KEY_FILE: keyFile };
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
        const child = spawn(process.execPath, [CLI, "serve"], {
          cwd: workDir,
          env: cliEnv({ ...env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" }),
          stdio: ["ignore", "pipe", "pipe"],
        });
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        try {
          const port = await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("no listening log line")), CLI_TIMEOUT_MS);
            createInterface({ input: child.stdout }).on("line", (line) => {
              const entry = line.startsWith("{") ? (JSON.parse(line) as { msg?: string; port?: number }) : {};
              if (entry.msg === "listening" && entry.port) {
                clearTimeout(timer);
                resolve(entry.port);
              }
            });
            void exited.then((code) => reject(new Error(`serve exited early with ${code}`)));
          });
          expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
          child.kill("SIGTERM");
          expect(await exited).toBe(0);
        } finally {
          if (child.exitCode === null) child.kill("SIGKILL");
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
  });
});
