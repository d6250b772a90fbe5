import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { access, readFile, rename, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { JSONWebKeySet } from "jose";
import { startApp, startWorker } from "./app.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { loadFieldCipher, openAuditContext, openDataContext } from "./context.js";
import { checkExport, type ExportRequest } from "./features/audit/index.js";
import { migrateToLatest } from "./db/migrate.js";
import { OutboxStore } from "./jobs/outbox-store.js";
import { rotateSealedValues } from "./features/mfa/index.js";
import { isPlatformRole, PlatformRoles, type PlatformRolesDeps, type RoleChange } from "./features/platform-roles/index.js";
import { callControlChannel, ControlChannelUnavailable } from "./platform/control-channel.js";
import { createLogger, routeConsoleTo, type Logger } from "./platform/logger.js";
import { closeRedis } from "./platform/redis.js";
import { RedisRevocationBus } from "./platform/revocation-bus.js";
import { DomainError } from "./shared/domain-error.js";
import { PLATFORM_ROLES, type PlatformRole } from "./shared/principal.js";
import { connectConfiguredRedis } from "./startup.js";

interface VerbHelp {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig["options"]>;
}

/** ServiceVerb works on the service's configuration and data. */
interface ServiceVerb extends VerbHelp {
  run(config: Config, log: Logger, values: Record<string, unknown>): Promise<"running" | "done">;
}

/** OfflineVerb needs no configuration, database or service, so it runs on any machine; it returns the exit code. */
interface OfflineVerb extends VerbHelp {
  offline(values: Record<string, unknown>): Promise<number>;
}

type Verb = ServiceVerb | OfflineVerb;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** withOutbox opens the database for a verb about the jobs, without the rest of the service. */
async function withOutbox(config: Config, log: Logger, work: (store: OutboxStore) => Promise<void>): Promise<void> {
  const context = await openDataContext(config, { log, maxConnections: 2, createIfMissing: false });
  try {
    await work(new OutboxStore(context.database.db));
  } finally {
    await context.close();
  }
}

/** closeOnSignal closes a running verb on SIGTERM or SIGINT and exits: 0 once closed, 1 if closing failed. */
function closeOnSignal(log: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    close().then(
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

const help = { help: { type: "boolean", short: "h", default: false } } as const;

/**
 * announcerFor tells the replicas sharing REDIS_URL that a user's roles changed. A Redis that cannot
 * be reached does not stop the change: replicas then read it within seconds, as their cache lapses.
 */
async function announcerFor(config: Config, log: Logger): Promise<{ bus: PlatformRolesDeps["bus"]; close(): Promise<void> }> {
  const redis = await connectConfiguredRedis(config, config.redisKeyPrefix, log).catch((error: unknown) => {
    log.warn({ err: error }, "Redis cannot be reached: running replicas see the change within 5 seconds");
    return undefined;
  });
  if (!redis) return { bus: { publishUserChanged: async () => undefined }, close: async () => undefined };
  return { bus: new RedisRevocationBus(redis, config.redisKeyPrefix), close: () => closeRedis(redis, config.redisCommandTimeoutMs) };
}

/**
 * changePlatformRole grants or revokes a role. With the embedded database a running server holds
 * it, so the server is asked over its control channel (and tells its own sessions at once); with
 * none running, or with Postgres, the change is made here and announced over Redis when there is one.
 */
async function changePlatformRole(config: Config, log: Logger, kind: "grant" | "revoke", email: string, role: PlatformRole): Promise<RoleChange> {
  if (!config.databaseUrl) {
    try {
      return (await callControlChannel(config.dataDir, `${kind}-role`, { email, role })) as RoleChange;
    } catch (error) {
      if (!(error instanceof ControlChannelUnavailable)) throw error;
    }
  }
  const context = await openDataContext(config, { log, maxConnections: 2, migrate: true, createIfMissing: false });
  try {
    const announcer = await announcerFor(config, log);
    try {
      const roles = new PlatformRoles({ db: context.database.db, audit: context.audit, bus: announcer.bus, log });
      return await (kind === "grant" ? roles.grant(email, role) : roles.revoke(email, role));
    } finally {
      await announcer.close();
    }
  } finally {
    await context.close();
  }
}

/** roleVerb is the grant-role or revoke-role verb. */
function roleVerb(kind: "grant" | "revoke"): Verb {
  const verb = `${kind}-role`;
  return {
    usage: `user-service ${verb} --email E --role ${PLATFORM_ROLES.join("|")}`,
    summary:
      kind === "grant"
        ? `grants a platform role to the account with that e-mail, recorded in the audit trail.
  Works while the server runs, in embedded mode too; sessions see the role from their next call.`
        : `takes a platform role from the account with that e-mail, recorded in the audit trail.
  Works while the server runs, in embedded mode too; sessions lose the role from their next call.`,
    options: { email: { type: "string" }, role: { type: "string" } },
    async run(config, log, values) {
      const { email, role } = values;
      if (typeof email !== "string" || typeof role !== "string") throw new UsageError(`${verb} needs --email and --role`, verb);
      if (!isPlatformRole(role)) throw new UsageError(`unknown role "${role}": the platform roles are ${PLATFORM_ROLES.join(", ")}`, verb);
      const { userId, changed } = await changePlatformRole(config, log, kind, email, role);
      const done = kind === "grant" ? ["role granted", "role was already granted"] : ["role revoked", "role was not granted"];
      log.info({ userId, role }, changed ? done[0] : done[1]);
      return "done";
    },
  };
}

/** instantOption reads an option that must be an ISO 8601 time. */
function instantOption(value: unknown, option: string, verb: string): Date {
  const at = typeof value === "string" ? new Date(value) : undefined;
  if (!at || Number.isNaN(at.getTime())) throw new UsageError(`${verb} needs --${option} as an ISO 8601 time, such as 2026-01-01T00:00:00Z`, verb);
  return at;
}

/**
 * exportAudit writes a regulatory export of the audit trail to a new file, readable by its owner
 * only (the log goes to stdout, so the export never shares it). The lines go to FILE.partial,
 * renamed to FILE once complete, so a failed export never leaves a file that looks whole.
 */
async function exportAudit(config: Config, log: Logger, request: ExportRequest, out: string): Promise<void> {
  if (await access(out).then(() => true, () => false)) throw new UsageError(`${out} exists: export-audit writes a new file`, "export-audit");
  const context = await openAuditContext(config, { log, maxConnections: 2, createIfMissing: false });
  const partial = `${out}.partial`;
  try {
    const sink = createWriteStream(partial, { mode: 0o600, flags: "wx" });
    await once(sink, "open");
    let lines = 0;
    try {
      for await (const batch of context.auditExports.export({ userId: null, origin: {} }, request)) {
        if (!sink.write(`${batch.join("\n")}\n`)) await once(sink, "drain");
        lines += batch.length;
      }
    } finally {
      await new Promise((resolve) => sink.end(resolve));
    }
    await rename(partial, out);
    log.info({ lines, file: out }, "audit trail exported");
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await context.close();
  }
}

const verbs: Record<string, Verb> = {
  serve: {
    usage: "user-service serve [--migrate] [--workers]",
    summary: `serves the API until SIGTERM or SIGINT (the default command).
  --migrate   apply pending migrations first, creating the database if it does not exist
              (embedded mode always migrates)
  --workers   with REDIS_URL, also run the background job workers in this process (small
              deployments); without it this process only hands jobs to Redis for user-service
              worker. Without REDIS_URL the jobs always run in this process`,
    options: { migrate: { type: "boolean", default: false }, workers: { type: "boolean", default: false } },
    async run(config, log, values) {
      routeConsoleTo(log);
      const app = await startApp(config, { log, migrate: values.migrate === true }, { runWorkers: values.workers === true });
      closeOnSignal(log, () => app.close());
      return "running";
    },
  },
  migrate: {
    usage: "user-service migrate",
    summary: "applies pending migrations and exits; creates the database DATABASE_URL names when it does not exist and the role may",
    options: {},
    async run(config, log) {
      const context = await openDataContext(config, { log, maxConnections: 2, createIfMissing: true });
      try {
        const applied = await migrateToLatest(context.database.db);
        log.info({ migrations: applied }, applied.length ? "migrations applied" : "database already up to date");
      } finally {
        await context.close();
      }
      return "done";
    },
  },
  "grant-role": roleVerb("grant"),
  "revoke-role": roleVerb("revoke"),
  "rotate-keys": {
    usage: "user-service rotate-keys",
    summary: `re-encrypts every value sealed at rest (TOTP secrets, phone numbers) under DATA_ENCRYPTION_KEY.
  To rotate: make the new key DATA_ENCRYPTION_KEY and list the old one in DATA_ENCRYPTION_PREVIOUS_KEYS
  on every replica, run this once, then drop the old key. In embedded mode stop the server first.`,
    options: {},
    async run(config, log) {
      const context = await openDataContext(config, { log, maxConnections: 2, createIfMissing: false });
      try {
        const cipher = await loadFieldCipher(config, log);
        const resealed = await rotateSealedValues(context.database.db, cipher);
        log.info({ resealed, keyId: cipher.currentKeyId }, "every sealed value is under the current key");
      } finally {
        await context.close();
      }
      return "done";
    },
  },
  "dead-letters": {
    usage: "user-service dead-letters [--queue Q]",
    summary: `lists the background jobs that failed for good and wait to be re-queued, oldest first, one
  JSON object per line: id, queue, jobName, payload (ids only), attempts, error, failedAt.`,
    options: { queue: { type: "string" } },
    async run(config, log, values) {
      await withOutbox(config, log, async (store) => {
        const letters = await store.deadLetters({ queue: values.queue as string | undefined });
        for (const letter of letters) process.stdout.write(`${JSON.stringify(letter)}\n`);
        log.info({ deadLetters: letters.length }, letters.length ? "dead letters waiting" : "no dead letters");
      });
      return "done";
    },
  },
  "requeue-dead-letters": {
    usage: "user-service requeue-dead-letters (--all | --queue Q | --id ID...)",
    summary: `queues dead letters again, each as a new job with every attempt again (fix the cause first):
  every one waiting (--all), a queue's (--queue), or the ones named (--id, repeatable).`,
    options: { all: { type: "boolean", default: false }, queue: { type: "string" }, id: { type: "string", multiple: true } },
    async run(config, log, values) {
      const ids = values.id as string[] | undefined;
      const queue = values.queue as string | undefined;
      if (!values.all && !queue && !ids) throw new UsageError("requeue-dead-letters needs --all, --queue or --id", "requeue-dead-letters");
      const badId = ids?.find((id) => !UUID.test(id));
      if (badId) throw new UsageError(`"${badId}" is not a dead letter id (a UUID)`, "requeue-dead-letters");
      await withOutbox(config, log, async (store) => {
        const moved = await store.requeue({ ids, queue });
        for (const { id, requeuedAs } of moved) log.info({ id, requeuedAs }, "dead letter queued again");
        log.info({ requeued: moved.length }, moved.length ? "dead letters queued again" : "no dead letter matched");
      });
      return "done";
    },
  },
  "export-audit": {
    usage: "user-service export-audit --from T --to T --reason R --out FILE [--organization ID]",
    summary: `exports the audit trail of entries made from --from (included) to --to (excluded), ISO 8601
  times, of one organization or of all, as JSON Lines with the chain hashes and the signed
  checkpoints that vouch for them, to a new file --out readable by its owner only. The
  export is recorded in the audit trail with --reason; check it with verify-audit-export. In
  embedded mode stop the server first, or call the ExportAuditTrail RPC.`,
    options: { from: { type: "string" }, to: { type: "string" }, organization: { type: "string" }, reason: { type: "string" }, out: { type: "string" } },
    async run(config, log, values) {
      const verb = "export-audit";
      const [createdAfter, createdBefore] = [instantOption(values.from, "from", verb), instantOption(values.to, "to", verb)];
      if (createdBefore <= createdAfter) throw new UsageError("--to must be after --from", verb);
      const organizationId = values.organization as string | undefined;
      if (organizationId !== undefined && !UUID.test(organizationId)) throw new UsageError(`"${organizationId}" is not an organization id (a UUID)`, verb);
      const reason = typeof values.reason === "string" ? values.reason.trim() : "";
      if (!reason) throw new UsageError("export-audit needs --reason, such as the regulator's request reference", verb);
      if (typeof values.out !== "string") throw new UsageError("export-audit needs --out, the file to write", verb);
      await exportAudit(config, log, { createdAfter, createdBefore, organizationId, reason }, values.out);
      return "done";
    },
  },
  "verify-audit-export": {
    usage: "user-service verify-audit-export --jwks FILE [--file EXPORT]",
    summary: `checks an export of export-audit or ExportAuditTrail (--file, or stdin) with nothing but the
  service's published keys (--jwks: a saved /.well-known/jwks.json): signatures, hashes, links and
  that no entry of the range was left out. Needs no configuration or database. Prints the outcome
  as JSON; exits 0 when the export holds and is complete, 1 when it does not or is not (a range
  that had not ended when exported), 2 when it cannot be read.`,
    options: { jwks: { type: "string" }, file: { type: "string" } },
    async offline(values) {
      if (typeof values.jwks !== "string") throw new UsageError("verify-audit-export needs --jwks", "verify-audit-export");
      const jwks = JSON.parse(await readFile(values.jwks, "utf8")) as JSONWebKeySet;
      const input = typeof values.file === "string" ? createReadStream(values.file) : process.stdin;
      const report = await checkExport(createInterface({ input, crlfDelay: Infinity }), jwks);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return report.valid && report.complete ? 0 : 1;
    },
  },
  worker: {
    usage: "user-service worker",
    summary: `runs the background job workers until SIGTERM or SIGINT, then finishes the jobs in hand
  and exits. Needs DATABASE_URL and REDIS_URL; run as many as the queues need. With ADMIN_PORT
  it serves /metrics, /healthz and /readyz there.`,
    options: {},
    async run(config, log) {
      routeConsoleTo(log);
      const worker = await startWorker(config, { log });
      closeOnSignal(log, () => worker.close());
      return "running";
    },
  },
};

const overview = () =>
  [
    "usage: user-service <command> [options]",
    "",
    "commands:",
    ...Object.values(verbs).map((verb) => `  ${verb.usage}`),
    "  user-service help [command]",
    "",
    "Each command takes -h/--help. Configuration comes from environment variables (README, Configuration).",
    "",
  ].join("\n");

const verbHelp = (verb: Verb) => `usage: ${verb.usage}\n\n${verb.summary}\n`;

class UsageError extends Error {
  constructor(
    message: string,
    readonly verb?: string,
  ) {
    super(message);
  }
}

/** reportFailure logs an unexpected failure as one line; the stack only when debugging. */
function reportFailure(log: Logger, verb: string, error: unknown): void {
  if (log.isLevelEnabled("debug")) log.fatal({ err: error }, `${verb} failed`);
  else log.fatal(`${verb} failed: ${error instanceof Error ? error.message : String(error)} (LOG_LEVEL=debug shows more)`);
}

/** main runs one CLI verb; it returns the process exit code, or -1 while the verb keeps running. */
async function main(argv: string[]): Promise<number> {
  const [first = "serve", ...rest] = argv;
  if (first === "help" || first === "--help" || first === "-h") {
    const verb = verbs[rest[0] ?? ""];
    process.stdout.write(verb ? verbHelp(verb) : overview());
    return 0;
  }
  const verb = verbs[first];
  try {
    if (!verb) throw new UsageError(`unknown command "${first}"`);
    const { values } = parseArgs({ args: rest, options: { ...verb.options, ...help }, strict: true });
    if (values.help) {
      process.stdout.write(verbHelp(verb));
      return 0;
    }
    if ("offline" in verb) {
      try {
        return await verb.offline(values);
      } catch (error) {
        if (error instanceof UsageError) throw error;
        process.stderr.write(`${first} failed: ${error instanceof Error ? error.message : String(error)}\n`);
        return 2;
      }
    }
    const config = loadConfig();
    const log = createLogger(config.logLevel);
    try {
      return (await verb.run(config, log, values)) === "running" ? -1 : 0;
    } catch (error) {
      if (error instanceof ConfigError || error instanceof UsageError) throw error;
      if (error instanceof DomainError) log.error({ reason: error.reason }, error.message);
      else reportFailure(log, first, error);
      return 1;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      return 2;
    }
    const usage = error instanceof UsageError || (error instanceof TypeError && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"));
    if (!usage) throw error;
    const forVerb = error instanceof UsageError && error.verb ? verbs[error.verb] : verb;
    process.stderr.write(`${error.message}\n${forVerb ? verbHelp(forVerb) : overview()}`);
    return 64;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
