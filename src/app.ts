import type { Interceptor } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import type { Redis } from "ioredis";
import { collectDefaultMetrics, Registry } from "prom-client";
import { ConfigError, type Config } from "./config.js";
import type { DatabaseHandle } from "./db/create-database.js";
import { migrateToLatest } from "./db/migrate.js";
import { AuditLog } from "./features/audit/index.js";
import { AuthService, authRpc, SignInThrottle } from "./features/auth/index.js";
import { ProfileService, profileRpc } from "./features/profile/index.js";
import { SessionGuard, Sessions } from "./features/sessions/index.js";
import { MemoryCache, RedisCache, type Cache } from "./platform/cache.js";
import { systemClock, type Clock } from "./platform/clock.js";
import { AccessTokens, loadOrCreateSigningKey, loadSigningKey, loadVerificationKey, type SigningKey } from "./platform/crypto/access-tokens.js";
import { PasswordHasher } from "./platform/crypto/passwords.js";
import { IdentityTokens } from "./platform/identity-tokens.js";
import { createLogger, type Logger } from "./platform/logger.js";
import { Limiter } from "./platform/rate-limits.js";
import { closeRedis } from "./platform/redis.js";
import { MemoryRevocationBus, RedisRevocationBus, type RevocationBus } from "./platform/revocation-bus.js";
import { createHandler } from "./rpc/handler.js";
import { ADMIN_ENDPOINTS, createHttpRoutes, PUBLIC_ENDPOINTS } from "./rpc/http-routes.js";
import { createAuthenticateInterceptor } from "./rpc/interceptors/authenticate.js";
import { createAuthorizeInterceptor } from "./rpc/interceptors/authorize.js";
import { createErrorInterceptor } from "./rpc/interceptors/errors.js";
import { createMetricsInterceptor } from "./rpc/interceptors/metrics.js";
import { createRequestLogInterceptor } from "./rpc/interceptors/request-log.js";
import { createRoutes } from "./rpc/router.js";
import { startAdminServer, startServer, type RunningServer } from "./rpc/server.js";
import { createRequestValidator } from "./rpc/validation.js";
import { ADMIN_LISTEN, checkListenAddress, checkTlsFiles, connectConfiguredRedis, listenFailure, openDatabase, redactUrl } from "./startup.js";

/** AppOverrides lets tests and benchmarks substitute any dependency built from config. */
export interface AppOverrides {
  log?: Logger;
  clock?: Clock;
  database?: DatabaseHandle;
  /** A Redis client to use; `null` forces embedded mode even when REDIS_URL is set. */
  redis?: Redis | null;
  /** Prefix for Redis keys and channels instead of REDIS_KEY_PREFIX's. */
  redisNamespace?: string;
  signingKey?: SigningKey;
  /** Apply pending migrations before serving (always done in embedded mode). */
  migrate?: boolean;
}

/** App is a running service. */
export interface App {
  port: number;
  /** The admin port (metrics and health), when ADMIN_PORT is set. */
  adminPort: number | undefined;
  mode: "postgres" | "embedded";
  database: DatabaseHandle;
  close(): Promise<void>;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** asConfig blames a key file that cannot be used on the variable that named it. */
function asConfig<T>(variable: string, loading: Promise<T>): Promise<T> {
  return loading.catch((error: unknown) => {
    throw new ConfigError(variable, `cannot be used as a key: ${error instanceof Error ? error.message : String(error)}`);
  });
}

/** embeddedSigningKey is the key kept under DATA_DIR when no key file is configured. */
async function embeddedSigningKey(dataDir: string, log: Logger): Promise<SigningKey> {
  const stored = await asConfig("DATA_DIR", loadOrCreateSigningKey(dataDir));
  if (stored.generated) log.info({ file: stored.file }, "generated an access-token signing key");
  else log.info({ file: stored.file }, "using the access-token signing key under DATA_DIR");
  return stored.key;
}

/** loadKeys reads the key files the configuration names and checks where it will listen, before anything is created on disk. */
async function loadKeys(config: Config, override: SigningKey | undefined) {
  const { privateKeyFile, previousKeyFiles } = config.jwt;
  const signingKey = override ?? (privateKeyFile ? await asConfig("JWT_PRIVATE_KEY_FILE", loadSigningKey(privateKeyFile)) : undefined);
  const previousKeys = await asConfig("JWT_PREVIOUS_KEY_FILES", Promise.all(previousKeyFiles.map(loadVerificationKey)));
  await Promise.all([
    checkTlsFiles(config.tls),
    checkListenAddress(config.host, config.port),
    config.admin && checkListenAddress(config.admin.host, config.admin.port, ADMIN_LISTEN),
  ]);
  return { signingKey, previousKeys };
}

/** describeMode is the start-up line that says how this process runs and where its data lives. */
function describeMode(config: Config, database: DatabaseHandle, redis: Redis | undefined, log: Logger): void {
  if (database.mode === "embedded") {
    log.info({ mode: "embedded", dataDir: config.dataDir }, "embedded mode: PGlite under DATA_DIR, cache, limits and revocations in this process");
  } else if (!redis) {
    log.warn(
      { mode: "postgres", database: config.databaseUrl && redactUrl(config.databaseUrl) },
      "Postgres without REDIS_URL: cache, rate limits and session revocations stay in this process, so run a single replica",
    );
  } else {
    log.info(
      { mode: "postgres+redis", database: config.databaseUrl && redactUrl(config.databaseUrl), redis: config.redisUrl && redactUrl(config.redisUrl) },
      "running with Postgres and Redis",
    );
  }
}

/**
 * startApp is the composition root: it builds every dependency from config (or takes the
 * override), wires the features to the router and starts serving. close() shuts down in reverse.
 * Start-up reads the configured keys first, then reaches the database and Redis; any of them
 * unusable is a ConfigError naming its variable.
 */
export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const keys = await loadKeys(config, overrides.signingKey);
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => log.error({ err: error }, "error during shutdown"));
  };
  try {
    const namespace = overrides.redisNamespace ?? config.redisKeyPrefix;
    const redis = overrides.redis === null ? undefined : (overrides.redis ?? (await connectConfiguredRedis(config, namespace, log)));
    if (redis && overrides.redis === undefined) closers.push(() => closeRedis(redis, config.redisCommandTimeoutMs));
    const database = overrides.database ?? (await openDatabase(config, { log, createIfMissing: overrides.migrate }));
    closers.push(() => database.close());
    describeMode(config, database, redis, log);
    if (database.mode === "embedded" || overrides.migrate) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) log.info({ migrations: applied }, "migrations applied");
    }
    const signingKey = keys.signingKey ?? (await embeddedSigningKey(config.dataDir, log));

    const cache: Cache = redis ? new RedisCache(redis, log) : new MemoryCache();
    const bus: RevocationBus = redis ? new RedisRevocationBus(redis, namespace) : new MemoryRevocationBus();
    closers.push(() => bus.close());
    const accessTokens = new AccessTokens(signingKey, keys.previousKeys, config.jwt.issuer, config.jwt.audience, config.jwt.accessTokenTtlSeconds);
    const audit = new AuditLog(clock);
    const sessions = new Sessions(clock, bus, log, config.jwt.refreshTokenTtlSeconds);
    const guard = new SessionGuard(database.db, accessTokens, bus, clock);
    await guard.start();
    const profiles = new ProfileService(database.db, cache, audit, clock, config.profileCacheTtlSeconds);
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const { limits } = config;
    const loginLimit = (name: string, reason: string, points: number) => new Limiter({ name, reason, points, windowSeconds: limits.loginWindowSeconds }, redis);
    const signIns = new SignInThrottle({
      db: database.db,
      audit,
      log,
      metrics,
      limits: {
        ip: loginLimit("login-ip", "login_rate_ip", limits.loginFailuresPerIp),
        account_address: loginLimit("login-account-address", "login_locked_account_address", limits.loginFailuresPerAccountAddress),
        account_device: loginLimit("login-account-device", "login_locked_account_device", limits.loginFailuresPerDevice),
        account: loginLimit("login-account", "login_locked_account", limits.loginFailuresPerAccount),
      },
      slowdownAfter: limits.loginSlowdownAfter,
      slowdownBaseMs: limits.loginSlowdownBaseMs,
    });
    const auth = new AuthService({
      db: database.db,
      clock,
      passwords: new PasswordHasher(limits.passwordHashConcurrency),
      identityTokens: new IdentityTokens(config.oidcProviders),
      accessTokens,
      sessions,
      profiles,
      audit,
      limits: {
        registrationsPerIp: new Limiter({ name: "register-ip", reason: "registration_rate_ip", points: limits.registrationsPerIpPerHour, windowSeconds: 3600 }, redis),
      },
      signIns,
    });

    const ready = async () => {
      try {
        await withTimeout(Promise.all([database.ping(), redis?.ping()]), 2_000);
        return true;
      } catch {
        return false;
      }
    };
    const stopping = new AbortController();
    const interceptors: Interceptor[] = [
      createRequestLogInterceptor(log),
      createMetricsInterceptor(metrics),
      createErrorInterceptor(log),
      createAuthenticateInterceptor((token) => guard.authenticate(token)),
      createAuthorizeInterceptor(),
      createValidateInterceptor({ validator: createRequestValidator() }),
    ];
    const httpRoutes = { ready, metrics, jwks: () => accessTokens.jwks() };
    // Metrics show sign-in failure and lockout rates: with an admin port they are served only there.
    const publicEndpoints = config.admin ? PUBLIC_ENDPOINTS : [...new Set([...PUBLIC_ENDPOINTS, ...ADMIN_ENDPOINTS])];
    const handler = createHandler({
      routes: createRoutes({ auth: authRpc(auth), profile: profileRpc(profiles) }, ready, stopping.signal),
      interceptors,
      fallback: createHttpRoutes(httpRoutes, publicEndpoints),
      readMaxBytes: 1 << 20,
      corsOrigins: config.corsOrigins,
      trustedProxyHops: config.trustedProxyHops,
    });
    const server = await startServer({
      handler,
      host: config.host,
      port: config.port,
      tls: config.tls,
      graceMs: config.shutdownGraceMs,
      limits: config.connections,
      metrics,
      log,
    }).catch((error: unknown) => {
      throw listenFailure(error, config.host, config.port);
    });
    let admin: RunningServer | undefined;
    closers.push(async () => {
      stopping.abort();
      await server.close();
      await admin?.close(); // last: metrics and probes answer while calls drain
    });
    if (config.admin) {
      const { host, port } = config.admin;
      admin = await startAdminServer({ handler: createHttpRoutes(httpRoutes, ADMIN_ENDPOINTS), host, port, limits: config.connections, log }).catch(
        (error: unknown) => {
          throw listenFailure(error, host, port, ADMIN_LISTEN);
        },
      );
    }
    return { port: server.port, adminPort: admin?.port, mode: database.mode, database, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
