import { execFile, spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import net from "node:net";
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
// Each run compiles the sources through tsx, and embedded runs create a PGlite database: a few
// seconds on an idle 2-core machine, many more on a busy one.
const CLI_TIMEOUT_MS = 60_000;

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

interface Serving {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  lines: Array<Record<string, unknown>>;
}

/** startServe runs `serve` and resolves once it logs the port it listens on. */
async function startServe(env: Record<string, string>): Promise<Serving> {
  const child = spawn(process.execPath, [CLI, "serve"], {
    cwd: workDir,
    env: cliEnv({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines: Array<Record<string, unknown>> = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no listening log line")), CLI_TIMEOUT_MS);
      createInterface({ input: child.stdout }).on("line", (line) => {
        const entry = line.startsWith("{") ? (JSON.parse(line) as Record<string, unknown>) : { text: line };
        lines.push(entry);
        if (entry.msg === "listening" && typeof entry.port === "number") {
          clearTimeout(timer);
          resolve(entry.port);
        }
      });
      void exited.then((code) => reject(new Error(`serve exited early with ${code}`)));
    });
    return { child, port, exited, lines };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}

/** stopServe ends a serve process with a signal and resolves with its exit code. */
async function stopServe(serving: Serving, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (serving.child.exitCode === null && serving.child.signalCode === null) serving.child.kill(signal);
  return serving.exited;
}

/** connectCall calls an RPC with Connect JSON over HTTP/1.1, as curl would. */
async function connectCall(port: number, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/platform.user.v1.${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

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

  describe("help", () => {
    it.each([["--help"], ["help"], ["-h"]])("prints every command with `%s` and exits 0", async (flag) => {
      const result = await runCli([flag]);
      expect(result.code).toBe(0);
      for (const verb of ["serve", "migrate", "grant-role", "worker"]) expect(result.stdout).toContain(`user-service ${verb}`);
    });

    it.each([
      ["serve", ["serve", "-h"]],
      ["migrate", ["migrate", "--help"]],
      ["grant-role", ["help", "grant-role"]],
      ["worker", ["worker", "-h"]],
    ])("prints %s's usage (%j) and exits 0", async (verb, args) => {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^usage: user-service ${verb}`));
    });

    it("names the roles that exist when given one that does not", async () => {
      const result = await runCli(["grant-role", "--email", "ann@example.com", "--role", "root"]);
      expect(result.code).toBe(64);
      expect(result.stderr).toContain('unknown role "root"');
      expect(result.stderr).toContain("admin, compliance_officer, support");
    });
  });

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

    it("belongs to one process: a second serve or grant-role refuses at once, and a crashed owner's lock is taken over", async () => {
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

        const grant = await runCli(["grant-role", "--email", email, "--role", "admin"], env);
        expect(grant.code).toBe(2);
        expect(grant.stderr).toContain("DATA_DIR");
        expect(grant.stdout).not.toContain("role granted");
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

  describe("start-up failures", () => {
    it("names DATABASE_URL when nothing listens there, without echoing its password", async () => {
      const result = await runCli(["serve"], { DATABASE_URL: "postgres://root:secret-password@127.0.0.1:1/x", JWT_PRIVATE_KEY_FILE: keyFile, PORT: "0" });
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe("configuration error: DATABASE_URL: cannot reach postgres://127.0.0.1:1/x: connection refused");
    });

    it("names DATABASE_URL when its database does not exist, and says how to create it", async () => {
      const name = `user_service_missing_${randomBytes(6).toString("hex")}`;
      const result = await runCli(["serve"], { DATABASE_URL: databaseUrl(name), JWT_PRIVATE_KEY_FILE: keyFile, PORT: "0" });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^configuration error: DATABASE_URL: .*the database does not exist \(`user-service migrate` creates it\)\n$/);
    });

    it("refuses an unreadable key file before migrating anything", async () => {
      const name = `user_service_cli_${randomBytes(6).toString("hex")}`;
      await admin((client) => client.query(`create database "${name}"`));
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
        await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
      }
    });
  });

  describe("migrate into a database that does not exist yet", () => {
    const name = `user_service_created_${randomBytes(6).toString("hex")}`;
    afterAll(() => admin((client) => client.query(`drop database if exists "${name}" with (force)`)));

    it("creates the database, then applies every migration", async () => {
      const result = await runCli(["migrate"], { DATABASE_URL: databaseUrl(name), JWT_PRIVATE_KEY_FILE: keyFile });
      expect(result.code).toBe(0);
      expect(logLines(result.stdout).find((line) => line.msg === "database created")).toMatchObject({ database: name });
      expect((logLines(result.stdout).find((line) => Array.isArray(line.migrations))?.migrations as string[]).length).toBeGreaterThan(0);
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
  });
});
