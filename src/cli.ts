import { parseArgs } from "node:util";
import { startApp } from "./app.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { connectPostgres, openEmbedded } from "./db/create-database.js";
import { migrateToLatest } from "./db/migrate.js";
import { AuditLog } from "./features/audit/index.js";
import { grantPlatformRole, isPlatformRole } from "./features/platform-roles/index.js";
import { systemClock } from "./platform/clock.js";
import { createLogger, type Logger } from "./platform/logger.js";
import { DomainError } from "./shared/domain-error.js";

const USAGE = `usage: user-service [serve [--migrate] | worker | migrate | grant-role --email E --role admin|compliance_officer|support]`;

const openDatabase = (config: Config) => (config.databaseUrl ? connectPostgres(config.databaseUrl, 2) : openEmbedded(config.dataDir));

async function serve(config: Config, log: Logger, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { migrate: { type: "boolean", default: false } } });
  const app = await startApp(config, { log, migrate: values.migrate });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

async function migrate(config: Config, log: Logger): Promise<void> {
  const database = await openDatabase(config);
  try {
    const applied = await migrateToLatest(database.db);
    log.info({ migrations: applied }, applied.length ? "migrations applied" : "database already up to date");
  } finally {
    await database.close();
  }
}

async function grantRole(config: Config, log: Logger, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: "string" }, role: { type: "string" } } });
  if (!values.email || !values.role || !isPlatformRole(values.role)) throw new UsageError("grant-role needs --email and --role admin|compliance_officer|support");
  const database = await openDatabase(config);
  try {
    await migrateToLatest(database.db);
    const { userId, granted } = await grantPlatformRole(database.db, new AuditLog(systemClock), values.email, values.role);
    log.info({ userId, role: values.role }, granted ? "role granted" : "role was already granted");
  } finally {
    await database.close();
  }
}

class UsageError extends Error {}

/** main runs one CLI verb; it returns the process exit code. */
async function main(argv: string[]): Promise<number> {
  const [verb = "serve", ...args] = argv;
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`configuration error: ${error.message}\n`);
    return 2;
  }
  const log = createLogger(config.logLevel);
  try {
    switch (verb) {
      case "serve":
        await serve(config, log, args);
        return -1; // keeps running until a signal
      case "worker":
        log.info("no queues yet: the workers arrive with the background jobs");
        return 0;
      case "migrate":
        await migrate(config, log);
        return 0;
      case "grant-role":
        await grantRole(config, log, args);
        return 0;
      default:
        throw new UsageError(`unknown command "${verb}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 64;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DomainError) {
      log.error({ reason: error.reason }, error.message);
      return 1;
    }
    log.fatal({ err: error }, `${verb} failed`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
