import type { Interceptor } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import { ActivityService } from "../gen/platform/user/v1/activity_service_pb.js";
import { AuditService } from "../gen/platform/user/v1/audit_service_pb.js";
import { AuthService } from "../gen/platform/user/v1/auth_service_pb.js";
import { ComplianceService } from "../gen/platform/user/v1/compliance_service_pb.js";
import { ProfileService } from "../gen/platform/user/v1/profile_service_pb.js";
import { MfaService } from "../gen/platform/user/v1/mfa_service_pb.js";
import { OrganizationService } from "../gen/platform/user/v1/organization_service_pb.js";
import { PreferencesService } from "../gen/platform/user/v1/preferences_service_pb.js";
import { UserLifecycleService } from "../gen/platform/user/v1/user_lifecycle_service_pb.js";
import { SessionService } from "../gen/platform/user/v1/session_service_pb.js";
import { ConfigError, type Config } from "./config.js";
import { buildAppContext, type AppContext, type AppOverrides, type AppServices } from "./context.js";
import { activityJobs, activityRpc, MAINTAIN_PARTITIONS, ROLL_UP_ACTIVITY } from "./features/activity/index.js";
import { auditJobs, auditRpc, CHECKPOINT_AUDIT, MAINTAIN_AUDIT_PARTITIONS } from "./features/audit/index.js";
import { authRpc } from "./features/auth/index.js";
import { complianceJobs, complianceRpc } from "./features/compliance/index.js";
import { mfaRpc } from "./features/mfa/index.js";
import { lifecycleRpc } from "./features/lifecycle/index.js";
import { onboardingRpc } from "./features/onboarding/index.js";
import { organizationsRpc } from "./features/organizations/index.js";
import { preferencesRpc } from "./features/preferences/index.js";
import { sessionsRpc } from "./features/sessions/index.js";
import { profileRpc } from "./features/profile/index.js";
import { platformRoleCommands } from "./features/platform-roles/index.js";
import { startControlChannel, type RunningControlChannel } from "./platform/control-channel.js";
import { consoleDist, createConsoleRoutes } from "./rpc/console.js";
import { createHandler } from "./rpc/handler.js";
import { ADMIN_ENDPOINTS, createHttpRoutes, PUBLIC_ENDPOINTS } from "./rpc/http-routes.js";
import { createAuthenticateInterceptor } from "./rpc/interceptors/authenticate.js";
import { createActivityInterceptor } from "./rpc/interceptors/activity.js";
import { createAuthorizeInterceptor } from "./rpc/interceptors/authorize.js";
import { createErrorInterceptor } from "./rpc/interceptors/errors.js";
import { createMetricsInterceptor } from "./rpc/interceptors/metrics.js";
import { createRequestLogInterceptor } from "./rpc/interceptors/request-log.js";
import { createTracingInterceptor } from "./rpc/interceptors/tracing.js";
import { createRoutes, implement, implementedRpcs, type ServiceRegistration } from "./rpc/router.js";
import { startAdminServer, startServer, type RunningServer } from "./rpc/server.js";
import { createRequestValidator } from "./rpc/validation.js";
import { startBackgroundJobs, type BackgroundJobs } from "./jobs/background-jobs.js";
import { mergeJobProcessors, queues, type JobProcessors } from "./jobs/queues.js";
import type { RecurringJob } from "./jobs/recurring-jobs.js";
import { ADMIN_LISTEN, checkListenAddress, checkTlsFiles, listenFailure } from "./startup.js";

/**
 * features pairs each API service a feature implements with its handlers: registering a feature
 * is one line here. Every RPC without a handler answers UNIMPLEMENTED.
 */
export function features(services: AppServices): ServiceRegistration[] {
  return [
    implement(AuthService, authRpc(services.auth)),
    implement(AuditService, auditRpc(services.auditTrail, services.auditExports)),
    implement(ActivityService, activityRpc(services.activity)),
    implement(ProfileService, profileRpc(services.profiles)),
    implement(MfaService, mfaRpc(services.mfa)),
    implement(SessionService, sessionsRpc(services.sessions)),
    implement(OrganizationService, organizationsRpc(services.organizations, services.invitations)),
    implement(PreferencesService, preferencesRpc(services.preferences)),
    implement(UserLifecycleService, { ...lifecycleRpc(services.lifecycle), ...onboardingRpc(services.onboarding) }),
    implement(
      ComplianceService,
      complianceRpc({ profiles: services.compliance, kyc: services.kyc, limits: services.tradingLimits, screenings: services.screenings, batches: services.batches }),
    ),
  ];
}

/**
 * jobProcessors pairs each background job with the feature's processor that does it: registering
 * a feature's jobs is one line here. A job without a processor fails for good (a dead letter).
 */
export function jobProcessors(context: AppContext): JobProcessors {
  return mergeJobProcessors(complianceJobs(context), auditJobs(context), activityJobs(context));
}

const DAY_MS = 86_400_000;

/** recurringJobs are the jobs queued on a schedule, whichever processes run. */
export function recurringJobs(config: Config): RecurringJob[] {
  return [
    { queue: queues.maintenance, name: "review-profiles", everyMs: config.jobs.reviewSweepSeconds * 1000 },
    { queue: queues.maintenance, name: CHECKPOINT_AUDIT, everyMs: config.audit.checkpointSeconds * 1000 },
    { queue: queues.maintenance, name: ROLL_UP_ACTIVITY, everyMs: config.activity.rollupSeconds * 1000 },
    { queue: queues.maintenance, name: MAINTAIN_PARTITIONS, everyMs: DAY_MS },
    { queue: queues.maintenance, name: MAINTAIN_AUDIT_PARTITIONS, everyMs: DAY_MS },
  ];
}

/** startJobs starts this process's part in the background jobs (see startBackgroundJobs). */
export function startJobs(context: AppContext, runWorkers: boolean): BackgroundJobs {
  const { database, redis, redisNamespace, config, metrics, log } = context;
  const jobs = startBackgroundJobs({
    db: database.db,
    redis,
    namespace: redisNamespace,
    config: config.jobs,
    processors: jobProcessors(context),
    recurring: recurringJobs(config),
    metrics,
    log,
    runWorkers,
  });
  log.info({ jobs: jobs.mode }, jobs.mode === "relay" ? "relaying jobs to Redis; the workers run them (user-service worker)" : "running background jobs in this process");
  return jobs;
}

/**
 * registeredRpcs names the RPCs features() registers handlers for, as `package.Service/Method`,
 * without building a service: handlers only keep the services they are given, so a stand-in that
 * refuses any use is enough, and a feature that used a service while wiring fails here loudly.
 */
export function registeredRpcs(): string[] {
  const standIn = new Proxy({} as AppServices, {
    get: (_, name) =>
      new Proxy({}, {
        get: () => {
          throw new Error(`features() used services.${String(name)} while wiring its handlers`);
        },
      }),
  });
  return implementedRpcs(features(standIn));
}

/** App is a running service. */
export interface App {
  port: number;
  /** The admin port (metrics and health), when ADMIN_PORT is set. */
  adminPort: number | undefined;
  mode: "postgres" | "embedded";
  context: AppContext;
  /** What this process does with background jobs. */
  jobs: BackgroundJobs;
  /** close stops listening, lets calls drain, then closes the context; later calls wait for the first. */
  close(): Promise<void>;
}

/** checkListening proves the TLS files usable and the addresses free before anything is built. */
async function checkListening(config: Config): Promise<void> {
  await Promise.all([
    checkTlsFiles(config.tls),
    checkListenAddress(config.host, config.port),
    config.admin && checkListenAddress(config.admin.host, config.admin.port, ADMIN_LISTEN),
  ]);
}

/**
 * openControlChannel lets `grant-role` and `revoke-role` reach an embedded database this process
 * holds under DATA_DIR. Without it the service still serves; those verbs then need it stopped.
 */
async function openControlChannel({ database, platformRoles, log }: AppContext): Promise<RunningControlChannel | undefined> {
  if (!database.dataDir) return undefined;
  try {
    return await startControlChannel(database.dataDir, platformRoleCommands(platformRoles), log);
  } catch (error) {
    log.warn({ err: error }, "no control channel under DATA_DIR: grant-role and revoke-role need the server stopped");
    return undefined;
  }
}

/** ListenOptions are how `serve` was asked to run. */
export interface ListenOptions {
  /** With Redis, run the BullMQ workers in this process too (`serve --workers`, for small deployments). */
  runWorkers?: boolean;
}

/**
 * listen serves a built context: the API with its interceptors on PORT, and metrics and probes on
 * ADMIN_PORT when set, and starts the background jobs. App.close() stops the servers, lets the
 * jobs in hand finish, and then closes the context.
 */
export async function listen(context: AppContext, options: ListenOptions = {}): Promise<App> {
  const { config, log, metrics, guard, authorizer, adminNetworks, accessTokens, activityRecorder, clock, ready } = context;
  const stopping = new AbortController();
  const interceptors: Interceptor[] = [
    // First: its span covers the whole call, and the rest runs in its context.
    createTracingInterceptor(),
    createRequestLogInterceptor(log),
    createMetricsInterceptor(metrics),
    // Outside authentication and the error mapping: refused calls are recorded, with their codes.
    ...(config.activity.recording ? [createActivityInterceptor(activityRecorder, clock)] : []),
    createErrorInterceptor(log),
    createAuthenticateInterceptor((token) => guard.authenticate(token)),
    createAuthorizeInterceptor(authorizer, adminNetworks, metrics),
    createValidateInterceptor({ validator: createRequestValidator() }),
  ];
  const httpRoutes = { ready, metrics, jwks: () => accessTokens.jwks() };
  // Metrics show sign-in failure and lockout rates: with an admin port they are served only there.
  const publicEndpoints = config.admin ? PUBLIC_ENDPOINTS : [...new Set([...PUBLIC_ENDPOINTS, ...ADMIN_ENDPOINTS])];
  const handler = createHandler({
    routes: createRoutes(features(context), ready, stopping.signal),
    interceptors,
    // The browser console is served beside the API it drives (same origin: no CORS, a strict CSP).
    fallback: createConsoleRoutes(consoleDist(), createHttpRoutes(httpRoutes, publicEndpoints)),
    readMaxBytes: 1 << 20,
    corsOrigins: config.corsOrigins,
    trustedProxyHops: config.trustedProxyHops,
    log: context.log,
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
  const control = await openControlChannel(context);
  if (config.admin) {
    const { host, port } = config.admin;
    admin = await startAdminServer({ handler: createHttpRoutes(httpRoutes, ADMIN_ENDPOINTS), host, port, limits: config.connections, log }).catch(
      async (error: unknown) => {
        await control?.close();
        await server.close();
        throw listenFailure(error, host, port, ADMIN_LISTEN);
      },
    );
  }
  const jobs = startJobs(context, options.runWorkers ?? false);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopping.abort();
      await control?.close();
      await server.close();
      await jobs.close(); // after the calls, which may write jobs; the jobs in hand finish
      await admin?.close(); // last: metrics and probes answer while calls drain
      await context.close();
    })());
  return { port: server.port, adminPort: admin?.port, mode: context.database.mode, context, jobs, close };
}

/**
 * startApp is what `serve` runs: it checks where it will listen, builds the context from config
 * (or the overrides) and listens. A failure at any step leaves nothing open.
 */
export async function startApp(config: Config, overrides: AppOverrides = {}, options: ListenOptions = {}): Promise<App> {
  await checkListening(config);
  const context = await buildAppContext(config, overrides);
  try {
    return await listen(context, options);
  } catch (error) {
    await context.close();
    throw error;
  }
}

/** RunningWorker is a running `user-service worker`: the BullMQ workers and the relay, with metrics and probes on ADMIN_PORT when set. */
export interface RunningWorker {
  adminPort: number | undefined;
  context: AppContext;
  jobs: BackgroundJobs;
  /** close takes no more jobs, lets the ones in hand finish, then closes the context; later calls wait for the first. */
  close(): Promise<void>;
}

/**
 * startWorker is what `worker` runs. Workers share jobs through Redis and the database through
 * Postgres, so it needs both: without Redis, `serve` runs the jobs itself.
 */
export async function startWorker(config: Config, overrides: AppOverrides = {}): Promise<RunningWorker> {
  if (!config.databaseUrl && !overrides.database) throw new ConfigError("DATABASE_URL", "is required by worker: in embedded mode serve runs the jobs itself");
  if (!config.redisUrl && !overrides.redis) throw new ConfigError("REDIS_URL", "is required by worker: without Redis, serve runs the jobs itself");
  if (config.admin) await checkListenAddress(config.admin.host, config.admin.port, ADMIN_LISTEN);
  const context = await buildAppContext(config, overrides);
  let admin: RunningServer | undefined;
  if (config.admin) {
    const { host, port } = config.admin;
    const routes = createHttpRoutes({ ready: context.ready, metrics: context.metrics, jwks: () => context.accessTokens.jwks() }, ADMIN_ENDPOINTS);
    admin = await startAdminServer({ handler: routes, host, port, limits: config.connections, log: context.log }).catch(async (error: unknown) => {
      await context.close();
      throw listenFailure(error, host, port, ADMIN_LISTEN);
    });
  }
  const jobs = startJobs(context, true);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await jobs.close();
      await admin?.close();
      await context.close();
    })());
  return { adminPort: admin?.port, context, jobs, close };
}
