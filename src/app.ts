import type { Interceptor } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import type { Redis } from "ioredis";
import { collectDefaultMetrics, Registry } from "prom-client";
import { ConfigError, type Config } from "./config.js";
import { connectPostgres, openEmbedded, type DatabaseHandle } from "./db/create-database.js";
import { migrateToLatest } from "./db/migrate.js";
import { AuditLog } from "./features/audit/index.js";
import { AuthService, authRpc } from "./features/auth/index.js";
import { ProfileService, profileRpc } from "./features/profile/index.js";
import { SessionGuard, Sessions } from "./features/sessions/index.js";
import { MemoryCache, RedisCache, type Cache } from "./platform/cache.js";
import { systemClock, type Clock } from "./platform/clock.js";
import { AccessTokens, loadOrCreateSigningKey, loadSigningKey, loadVerificationKey, type SigningKey } from "./platform/crypto/access-tokens.js";
import { PasswordHasher } from "./platform/crypto/passwords.js";
import { IdentityTokens } from "./platform/identity-tokens.js";
import { createLogger, type Logger } from "./platform/logger.js";
import { Limiter } from "./platform/rate-limits.js";
import { connectRedis } from "./platform/redis.js";
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

/** AppOverrides lets tests and benchmarks substitute any dependency built from config. */
export interface AppOverrides {
  log?: Logger;
  clock?: Clock;
  database?: DatabaseHandle;
  /** A Redis client to use; `null` forces embedded mode even when REDIS_URL is set. */
  redis?: Redis | null;
  /** Prefix for Redis keys and channels, so runs sharing one Redis stay apart. */
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

/**
 * startApp is the composition root: it builds every dependency from config (or takes the
 * override), wires the features to the router and starts serving. close() shuts down in reverse.
 */
export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const database = overrides.database ?? (config.databaseUrl ? connectPostgres(config.databaseUrl) : await openEmbedded(config.dataDir));
  const closers: Array<() => Promise<unknown>> = [() => database.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => log.error({ err: error }, "error during shutdown"));
  };
  try {
    if (database.mode === "embedded" || overrides.migrate) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) log.info({ migrations: applied }, "migrations applied");
    }
    const namespace = overrides.redisNamespace ?? "user-service:";
    const redis = overrides.redis === null ? undefined : (overrides.redis ?? (config.redisUrl ? connectRedis(config.redisUrl, namespace) : undefined));
    if (redis && overrides.redis === undefined) closers.push(() => redis.quit());
    log.info({ database: database.mode, redis: Boolean(redis) }, redis ? "running with Postgres and Redis" : `running in ${database.mode} mode`);

    const cache: Cache = redis ? new RedisCache(redis, log) : new MemoryCache();
    const bus: RevocationBus = redis ? new RedisRevocationBus(redis, namespace) : new MemoryRevocationBus();
    closers.push(() => bus.close());
    const { privateKeyFile, previousKeyFiles } = config.jwt;
    const signingKey =
      overrides.signingKey ??
      (privateKeyFile ? await asConfig("JWT_PRIVATE_KEY_FILE", loadSigningKey(privateKeyFile)) : await loadOrCreateSigningKey(config.dataDir));
    const previousKeys = await asConfig("JWT_PREVIOUS_KEY_FILES", Promise.all(previousKeyFiles.map(loadVerificationKey)));
    const accessTokens = new AccessTokens(signingKey, previousKeys, config.jwt.issuer, config.jwt.audience, config.jwt.accessTokenTtlSeconds);
    const audit = new AuditLog(clock);
    const sessions = new Sessions(clock, bus, log, config.jwt.refreshTokenTtlSeconds);
    const guard = new SessionGuard(database.db, accessTokens, bus, clock);
    await guard.start();
    const profiles = new ProfileService(database.db, cache, audit, clock, config.profileCacheTtlSeconds);
    const { limits } = config;
    const auth = new AuthService({
      db: database.db,
      clock,
      log,
      passwords: new PasswordHasher(limits.passwordHashConcurrency),
      identityTokens: new IdentityTokens(config.oidcProviders),
      accessTokens,
      sessions,
      profiles,
      audit,
      limits: {
        loginFailuresPerAccount: new Limiter("login-account", limits.loginFailuresPerAccount, limits.loginWindowSeconds, redis),
        loginFailuresPerIp: new Limiter("login-ip", limits.loginFailuresPerIp, limits.loginWindowSeconds, redis),
        registrationsPerIp: new Limiter("register-ip", limits.registrationsPerIpPerHour, 3600, redis),
      },
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
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const interceptors: Interceptor[] = [
      createRequestLogInterceptor(log),
      createMetricsInterceptor(metrics),
      createErrorInterceptor(log),
      createAuthenticateInterceptor((token) => guard.authenticate(token)),
      createAuthorizeInterceptor(),
      createValidateInterceptor(),
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
    });
    let admin: RunningServer | undefined;
    closers.push(async () => {
      stopping.abort();
      await server.close();
      await admin?.close(); // last: metrics and probes answer while calls drain
    });
    if (config.admin) {
      admin = await startAdminServer({ handler: createHttpRoutes(httpRoutes, ADMIN_ENDPOINTS), ...config.admin, limits: config.connections, log });
    }
    return { port: server.port, adminPort: admin?.port, mode: database.mode, database, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
