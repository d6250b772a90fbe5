import dns from "node:dns/promises";
import fs from "node:fs/promises";
import net from "node:net";
import tls from "node:tls";
import type { Redis } from "ioredis";
import pg from "pg";
import { ConfigError, type Config } from "./config.js";
import { DataDirInUse } from "./db/data-dir-lock.js";
import { connectPostgres, openEmbedded, type DatabaseHandle } from "./db/create-database.js";
import type { Logger } from "./platform/logger.js";
import { closeRedis, connectRedis, waitForRedis } from "./platform/redis.js";

// Start-up checks that every entry point (serve, migrate, grant-role) shares: each dependency the
// configuration names is reached before anything is done with it, and a failure is a ConfigError
// naming the variable, so the process exits with one line an operator can act on.

/** redactUrl is a connection URL as it may be logged: scheme, host, port and path, no credentials. */
export function redactUrl(raw: string): string {
  const url = new URL(raw);
  return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

const codeOf = (error: unknown): string | undefined => {
  for (let e = error as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined; e && typeof e === "object"; e = e.cause as typeof e) {
    if (typeof e.code === "string") return e.code;
    if (Array.isArray(e.errors)) return codeOf(e.errors[0]);
  }
  return undefined;
};

/** whyUnreachable says in a few words why a connection failed, without echoing credentials. */
export function whyUnreachable(error: unknown): string {
  switch (codeOf(error)) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name does not resolve";
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "the host does not answer";
    case "3D000":
      return "the database does not exist (`user-service migrate` creates it)";
    case "28P01":
    case "28000":
      return "authentication failed";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

async function createMissingDatabase(databaseUrl: string, log: Logger): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  log.info({ database: name }, "database created");
}

/** OpenDatabaseOptions tune how openDatabase opens the configured database. */
export interface OpenDatabaseOptions {
  log: Logger;
  maxConnections?: number;
  /** Create the database named by DATABASE_URL when it does not exist (migrate does). */
  createIfMissing?: boolean;
}

/**
 * openDatabase opens what the configuration names and proves it reachable: Postgres at
 * DATABASE_URL, or the embedded database under DATA_DIR, which this process then holds alone.
 */
export async function openDatabase(config: Config, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const { databaseUrl } = config;
  if (!databaseUrl) {
    try {
      return await openEmbedded(config.dataDir);
    } catch (error) {
      if (error instanceof DataDirInUse) {
        throw new ConfigError("DATA_DIR", `${error.message}; the embedded database belongs to one process at a time: stop that one first`);
      }
      throw error;
    }
  }
  for (let attempt = 0; ; attempt++) {
    const database = connectPostgres(databaseUrl, options.maxConnections);
    try {
      await database.ping();
      return database;
    } catch (error) {
      await database.close().catch(() => undefined);
      if (attempt === 0 && options.createIfMissing && codeOf(error) === "3D000") {
        await createMissingDatabase(databaseUrl, options.log).catch((cause: unknown) => {
          throw new ConfigError("DATABASE_URL", `${redactUrl(databaseUrl)}: the database does not exist and cannot be created: ${whyUnreachable(cause)}`);
        });
        continue;
      }
      throw new ConfigError("DATABASE_URL", `cannot reach ${redactUrl(databaseUrl)}: ${whyUnreachable(error)}`);
    }
  }
}

/**
 * connectConfiguredRedis connects to REDIS_URL and waits until it answers. Start-up fails fast:
 * a replica that cannot reach Redis exits within REDIS_CONNECT_TIMEOUT_MS, naming the variable,
 * and its orchestrator restarts it; once running, an outage degrades calls and recovers by itself.
 */
export async function connectConfiguredRedis(config: Config, keyPrefix: string, log: Logger): Promise<Redis | undefined> {
  if (!config.redisUrl) return undefined;
  const redis = connectRedis(config.redisUrl, { keyPrefix, commandTimeoutMs: config.redisCommandTimeoutMs, log });
  try {
    await waitForRedis(redis, config.redisConnectTimeoutMs);
    return redis;
  } catch (error) {
    await closeRedis(redis, 0);
    throw new ConfigError("REDIS_URL", `cannot reach ${redactUrl(config.redisUrl)} within ${config.redisConnectTimeoutMs} ms: ${whyUnreachable(error)}`);
  }
}

/** ListenVariables name the variables that set a listener's address and port. */
export interface ListenVariables {
  host: string;
  port: string;
}

const PUBLIC_LISTEN: ListenVariables = { host: "HOST", port: "PORT" };

/** ADMIN_LISTEN names the admin listener's variables. */
export const ADMIN_LISTEN: ListenVariables = { host: "ADMIN_HOST", port: "ADMIN_PORT" };

/**
 * checkListenAddress resolves HOST and tries PORT before anything is created on disk. The port is
 * only borrowed for the check: if another process takes it before the real listen, that listen
 * reports it the same way.
 */
export async function checkListenAddress(host: string, port: number, variables: ListenVariables = PUBLIC_LISTEN): Promise<void> {
  const lookup = () =>
    dns.lookup(host).then(
      (found) => found.address,
      (error: unknown) => {
        throw listenFailure(error, host, port, variables);
      },
    );
  const address = net.isIP(host) ? host : await lookup();
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error) => reject(listenFailure(error, host, port, variables)));
    probe.listen(port, address, () => probe.close(() => resolve()));
  });
}

/** checkTlsFiles proves the certificate and key files readable and a matching pair. */
export async function checkTlsFiles(tlsFiles: Config["tls"]): Promise<void> {
  if (!tlsFiles) return;
  const read = (variable: string, file: string) =>
    fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(variable, `cannot read ${file}: ${error.code ?? error.message}`);
    });
  const [cert, key] = await Promise.all([read("TLS_CERT_FILE", tlsFiles.certFile), read("TLS_KEY_FILE", tlsFiles.keyFile)]);
  try {
    tls.createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError("TLS_CERT_FILE", `is not a certificate matching TLS_KEY_FILE: ${(error as Error).message}`);
  }
}

/** listenFailure turns a failure to listen into a ConfigError naming the variable to change. */
export function listenFailure(error: unknown, host: string, port: number, variables: ListenVariables = PUBLIC_LISTEN): unknown {
  switch (codeOf(error)) {
    case "EADDRINUSE":
      return new ConfigError(variables.port, `${port} is already in use on ${host}`);
    case "EACCES":
      return new ConfigError(variables.port, `${port} needs privileges this process does not have`);
    case "EADDRNOTAVAIL":
      return new ConfigError(variables.host, `${host} is not an address of this machine`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new ConfigError(variables.host, `"${host}" does not resolve`);
    default:
      return error;
  }
}
