// The servers the benchmark drives: Postgres and Redis (BENCH_POSTGRES_URL, BENCH_REDIS_URL) and
// the service's own processes, each run the way operators run them.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";

export const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
export const root = fileURLToPath(new URL("..", import.meta.url));

/** adminQuery runs one statement as the Postgres admin. */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** freePort asks the OS for a port nobody listens on. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.once("error", reject);
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * startProcess runs a server script on a free port (named by portVariable) and resolves once the
 * port accepts connections. Its logs go to a file: a pipe read by this busy process would stall the
 * server's log writes.
 */
export async function startProcess(args: string[], env: Record<string, string>, logFile: string, portVariable = "PORT"): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const log = await fs.open(logFile, "a");
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env, [portVariable]: String(port) }, stdio: ["ignore", log.fd, "inherit"] });
  await log.close();
  let exited = false;
  child.once("exit", () => (exited = true));
  for (let attempt = 0; ; attempt++) {
    if (exited) throw new Error(`${args.join(" ")} exited; see ${logFile}`);
    if (attempt > 300) {
      child.kill("SIGKILL");
      throw new Error(`${args.join(" ")} did not become ready; see ${logFile}`);
    }
    if (await accepts(port)) return { child, port };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** grantRole grants a platform role with the CLI, as an operator would, and waits for it to finish. */
export async function grantRole(env: Record<string, string>, email: string, role: string): Promise<void> {
  const child = spawn(process.execPath, ["bin/user-service.js", "grant-role", "--email", email, "--role", role], { cwd: root, env: { ...process.env, ...env }, stdio: "ignore" });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`grant-role ${role} for ${email} exited with ${code}`);
}

/** stopProcess ends a process with SIGTERM and waits for it to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

export /** removeKeys deletes every key under prefix and says how many were left once it is done. */
async function removeKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys);
    }
    return (await redis.keys(`${prefix}*`)).length;
  } finally {
    redis.disconnect();
  }
}


/** Deployment is a database, a Redis key prefix and keys of the run's own, and the environment that points the service at them. */
export interface Deployment {
  env: Record<string, string>;
  databaseUrl: string;
  /** close drops the database and every Redis key under the prefix, and fails if a key stayed. */
  close(): Promise<void>;
}

/** deploy creates a deployment for one measurement; extra variables join its environment. */
export async function deploy(extra: Record<string, string> = {}): Promise<Deployment> {
  const run = randomBytes(4).toString("hex");
  const database = `user_service_bench_${run}`;
  const redisKeyPrefix = `user-service-bench-${run}:`;
  const keyDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-bench-"));
  const keyFile = path.join(keyDir, "jwt.pem");
  await fs.writeFile(keyFile, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
  await adminQuery(`create database "${database}"`);
  const databaseUrl = new URL(POSTGRES_ADMIN_URL);
  databaseUrl.pathname = `/${database}`;
  return {
    databaseUrl: databaseUrl.toString(),
    env: {
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      JWT_PRIVATE_KEY_FILE: keyFile,
      DATA_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "info",
      REGISTRATIONS_PER_IP_PER_HOUR: "100000000",
      ...extra,
    },
    async close() {
      await adminQuery(`drop database if exists "${database}" with (force)`);
      await fs.rm(keyDir, { recursive: true, force: true });
      const left = await removeKeys(redisKeyPrefix);
      if (left > 0) throw new Error(`${left} Redis keys under ${redisKeyPrefix} could not be removed`);
    },
  };
}
