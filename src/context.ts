import type { Redis } from "ioredis";
import { collectDefaultMetrics, Registry } from "prom-client";
import { ConfigError, type Config } from "./config.js";
import type { DatabaseHandle } from "./db/create-database.js";
import type { Db } from "./db/database.js";
import { migrateToLatest } from "./db/migrate.js";
import { ActivityAccess, ActivityRecorder, UserActivity } from "./features/activity/index.js";
import { AuditExports, AuditLog, AuditTrail } from "./features/audit/index.js";
import { AdminNetworks, RoleAuthorizer, type Authorizer, type MembershipLookup } from "./features/authorization/index.js";
import { AuthService, SignInThrottle, type SecondFactor } from "./features/auth/index.js";
import { CodeGuard, Mfa, MfaSignIn, SmsCodes } from "./features/mfa/index.js";
import { Invitations, Organizations, StoredMemberships } from "./features/organizations/index.js";
import { BatchVerification, ComplianceAccess, ComplianceViolations, ComplianceProfiles, IdentityVerification, KycDecisions, NameScreening, PeriodicReviews, RiskScoring, StepUpFlags, RuleVerification, ScreeningListError, ScreeningRequests, TradingLimitChanges, type VerificationProvider } from "./features/compliance/index.js";
import { UserLifecycle } from "./features/lifecycle/index.js";
import { DEFAULT_ONBOARDING_STEPS, loadOnboardingSteps, Onboarding, OnboardingSteps } from "./features/onboarding/index.js";
import { PlatformRoles } from "./features/platform-roles/index.js";
import { Preferences } from "./features/preferences/index.js";
import { ProfileService } from "./features/profile/index.js";
import { SessionAnomalies, SessionGuard, Sessions, SignInRisk } from "./features/sessions/index.js";
import { MemoryCache, RedisCache, type Cache } from "./platform/cache.js";
import { systemClock, type Clock } from "./platform/clock.js";
import { dataKey, FieldCipher, loadOrCreateDataKey } from "./platform/crypto/field-cipher.js";
import { AccessTokens, loadOrCreateSigningKey, loadSigningKey, loadVerificationKey, type SigningKey } from "./platform/crypto/access-tokens.js";
import { PasswordHasher } from "./platform/crypto/passwords.js";
import { IdentityTokens } from "./platform/identity-tokens.js";
import { createLogger, type Logger } from "./platform/logger.js";
import { Limiter } from "./platform/rate-limits.js";
import { closeRedis } from "./platform/redis.js";
import { noGeoIp, openGeoIp, type GeoIp } from "./platform/geoip.js";
import { loadNetworkList, noNetworks } from "./platform/networks.js";
import { LogSmsSender, WebhookSmsSender, type SmsSender } from "./platform/sms.js";
import { MemoryRevocationBus, RedisRevocationBus, type RevocationBus } from "./platform/revocation-bus.js";
import { startTracing } from "./platform/tracing.js";
import { Closers } from "./shared/closers.js";
import { withTimeout } from "./shared/with-timeout.js";
import { connectConfiguredRedis, openDatabase, redactUrl } from "./startup.js";

/** AppServices are the features' services: what handlers, workers and CLI verbs call. */
export interface AppServices {
  audit: AuditLog;
  /** Reads the audit trail, checks its chains and signs checkpoints of them. */
  auditTrail: AuditTrail;
  /** Writes regulatory exports of the audit trail. */
  auditExports: AuditExports;
  /** Users' recorded calls and daily figures. */
  activity: UserActivity;
  profiles: ProfileService;
  sessions: Sessions;
  guard: SessionGuard;
  signIns: SignInThrottle;
  secondFactor: SecondFactor;
  auth: AuthService;
  mfa: Mfa;
  /** Scores sign-ins (new device, country, impossible travel, failures, network). */
  signInRisk: SignInRisk;
  /** Texts SMS codes: the SMS_WEBHOOK_URL gateway, or the log in development. */
  smsSender: SmsSender;
  /** Finds a caller's role in an organization for organization-scoped rules. */
  memberships: MembershipLookup;
  /** Organizations and their members. */
  organizations: Organizations;
  /** Invitations to organizations and the member requests waiting for approval. */
  invitations: Invitations;
  /** Users' display, notification and trading preferences. */
  preferences: Preferences;
  /** Account status changes and their history. */
  lifecycle: UserLifecycle;
  /** New users' onboarding checklists. */
  onboarding: Onboarding;
  /** Platform roles granted and revoked from the command line. */
  platformRoles: PlatformRoles;
  /** Decides new users' identity verification: the built-in rules, or a KYC vendor's provider. */
  verificationProvider: VerificationProvider;
  /** Runs identity verification for the verify-identity job. */
  verification: IdentityVerification;
  /** Users' compliance profiles. */
  compliance: ComplianceProfiles;
  /** Screenings compliance officers ask for (ScreenUser), and the job that runs them. */
  screenings: ScreeningRequests;
  /** Compliance officers' KYC decisions. */
  kyc: KycDecisions;
  /** Trading limits, with a second officer's approval above the KYC level's defaults. */
  tradingLimits: TradingLimitChanges;
  /** The recurring sweep that opens the reviews due. */
  reviews: PeriodicReviews;
  /** Verifies many users at once within a budget (VerifyUsers). */
  batches: BatchVerification;
  /** Scores users' risk and runs the security protocols (the risk-scoring job). */
  riskScoring: RiskScoring;
  /** Decides every permission an RPC declares. */
  authorizer: Authorizer;
  /** Where platform roles count from (ADMIN_IP_ALLOWLIST), and the audit of calls refused for it. */
  adminNetworks: AdminNetworks;
}

/** DataOverrides replace what the data stage would build from config. */
export interface DataOverrides {
  log?: Logger;
  clock?: Clock;
  /** A database to use instead of the one config names; the caller keeps ownership of it. */
  database?: DatabaseHandle;
  /** Apply pending migrations (always done in embedded mode). */
  migrate?: boolean;
  /** Create the database DATABASE_URL names when it does not exist; defaults to migrate. */
  createIfMissing?: boolean;
  /** Pool size for a database opened from DATABASE_URL. */
  maxConnections?: number;
}

/** AppOverrides let tests and benchmarks substitute any dependency built from config. */
export interface AppOverrides extends DataOverrides {
  /** A Redis client to use (the caller keeps ownership); `null` forces embedded mode even when REDIS_URL is set. */
  redis?: Redis | null;
  /** Prefix for Redis keys and channels instead of REDIS_KEY_PREFIX's. */
  redisNamespace?: string;
  signingKey?: SigningKey;
  /** A GeoIP locator to use instead of the GEOIP_DB_FILE database. */
  geoip?: GeoIp;
  /** The data encryption key to use instead of DATA_ENCRYPTION_KEY's (32 bytes). */
  dataKey?: Buffer;
  /** Services to use instead of the ones built from config; the others are built around them. */
  services?: Partial<AppServices>;
}

/** DataContext is the first stage of the application context: configuration, logging, time and the database. */
export interface DataContext {
  config: Config;
  log: Logger;
  clock: Clock;
  database: DatabaseHandle;
  audit: AuditLog;
  /** close releases what this context opened, in reverse order; later calls wait for the first. */
  close(): Promise<void>;
}

/** AppContext is every dependency of the service, built once from config: what `serve` listens with and `worker` runs. */
export interface AppContext extends DataContext, AppServices {
  redis: Redis | undefined;
  /** The prefix of this deployment's Redis keys and channels (REDIS_KEY_PREFIX, or the override). */
  redisNamespace: string;
  metrics: Registry;
  accessTokens: AccessTokens;
  /** Seals MFA secrets and phone numbers at rest. */
  cipher: FieldCipher;
  /** Buffers the activity interceptor's call records and writes them in batches. */
  activityRecorder: ActivityRecorder;
  /** Screens names against the sanctions and PEP lists; undefined without SANCTIONS_LIST_FILE. */
  screening: NameScreening | undefined;
  /** ready says whether the database and Redis answer, within two seconds. */
  ready(): Promise<boolean>;
}

/** ACTIVITY_BATCH_SIZE is how many call records one statement writes. */
const ACTIVITY_BATCH_SIZE = 500;

/** asConfig blames a file that cannot be used (as a key, by default) on the variable that named it. */
function asConfig<T>(variable: string, loading: Promise<T>, usedAs = "a key"): Promise<T> {
  return loading.catch((error: unknown) => {
    throw new ConfigError(variable, `cannot be used as ${usedAs}: ${error instanceof Error ? error.message : String(error)}`);
  });
}

/** embeddedSigningKey is the key kept under DATA_DIR when no key file is configured. */
async function embeddedSigningKey(dataDir: string, log: Logger): Promise<SigningKey> {
  const stored = await asConfig("DATA_DIR", loadOrCreateSigningKey(dataDir));
  if (stored.generated) log.info({ file: stored.file }, "generated an access-token signing key");
  else log.info({ file: stored.file }, "using the access-token signing key under DATA_DIR");
  return stored.key;
}

/**
 * readTokenKeyFiles reads the configured access-token keys: the signing key (the given one, or
 * JWT_PRIVATE_KEY_FILE's; undefined in embedded mode until the one under DATA_DIR is read, once the
 * data directory is this process's) and the previous keys still published.
 */
async function readTokenKeyFiles(config: Config, given: SigningKey | undefined): Promise<{ signingKey: SigningKey | undefined; previousKeys: Awaited<ReturnType<typeof loadVerificationKey>>[] }> {
  const { privateKeyFile, previousKeyFiles } = config.jwt;
  const signingKey = given ?? (privateKeyFile ? await asConfig("JWT_PRIVATE_KEY_FILE", loadSigningKey(privateKeyFile)) : undefined);
  const previousKeys = await asConfig("JWT_PREVIOUS_KEY_FILES", Promise.all(previousKeyFiles.map(loadVerificationKey)));
  return { signingKey, previousKeys };
}

/** AuditContext is the database with the audit trail's reader and exports: what the audit verbs of the CLI need. */
export interface AuditContext extends DataContext {
  auditTrail: AuditTrail;
  auditExports: AuditExports;
}

/** openAuditContext opens the database and the audit trail with the service's signing key, without the rest of the service. */
export async function openAuditContext(config: Config, overrides: DataOverrides = {}): Promise<AuditContext> {
  const keys = await readTokenKeyFiles(config, undefined);
  const data = await openDataContext(config, overrides);
  try {
    const { database, clock, audit, log } = data;
    const signingKey = keys.signingKey ?? (await embeddedSigningKey(config.dataDir, log));
    const accessTokens = new AccessTokens(signingKey, keys.previousKeys, config.jwt.issuer, config.jwt.audience, config.jwt.accessTokenTtlSeconds);
    const auditTrail = newAuditTrail(config, { db: database.db, clock, log }, signingKey, accessTokens);
    return { ...data, auditTrail, auditExports: new AuditExports({ db: database.db, clock, audit, trail: auditTrail, issuer: config.jwt.issuer }) };
  } catch (error) {
    await data.close();
    throw error;
  }
}

/** newAuditTrail is the audit trail's reader and checker, signing checkpoints with the access-token key. */
function newAuditTrail(config: Config, data: Pick<DataContext, "clock" | "log"> & { db: Db }, signingKey: SigningKey, accessTokens: AccessTokens): AuditTrail {
  const { db, clock, log } = data;
  return new AuditTrail({ db, clock, log, key: signingKey, jwks: () => accessTokens.jwks(), issuer: config.jwt.issuer, retentionDays: config.audit.retentionDays });
}

/** requireDataKey refuses to go on without DATA_ENCRYPTION_KEY where replicas share a database: only embedded mode may generate its own. */
function requireDataKey(config: Config, given: Buffer | undefined): void {
  if (!given && !config.dataEncryptionKey && config.databaseUrl) throw new ConfigError("DATA_ENCRYPTION_KEY", "is required when DATABASE_URL is set");
}

/**
 * loadFieldCipher is the cipher sealing data at rest: under the given key, DATA_ENCRYPTION_KEY, or
 * in embedded mode a key generated once under DATA_DIR; DATA_ENCRYPTION_PREVIOUS_KEYS still open.
 */
export async function loadFieldCipher(config: Config, log: Logger, given?: Buffer): Promise<FieldCipher> {
  requireDataKey(config, given);
  let key = given ?? config.dataEncryptionKey;
  if (!key) {
    const stored = await asConfig("DATA_DIR", loadOrCreateDataKey(config.dataDir));
    if (stored.generated) log.info({ file: stored.file }, "generated a data encryption key");
    key = stored.key;
  }
  return new FieldCipher(dataKey(key), config.previousDataEncryptionKeys.map(dataKey));
}

/** openScreening loads the screening lists, blaming a list that cannot be used on the variable that named it. */
function openScreening(options: NonNullable<Config["screening"]>, log: Logger): Promise<NameScreening> {
  return NameScreening.open({ ...options, log }).catch((error: unknown) => {
    if (!(error instanceof ScreeningListError)) throw error;
    const [variable, usedAs] = error.list === "sanctions" ? ["SANCTIONS_LIST_FILE", "OFAC's SDN list (sdn.csv, alt.csv beside it)"] : ["PEP_LIST_FILE", "a PEP list"];
    throw new ConfigError(variable, `cannot be used as ${usedAs}: ${error.message}`);
  });
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

/** openOnto opens the data stage, registering what it opens on closers. */
async function openOnto(closers: Closers, config: Config, overrides: DataOverrides, log: Logger): Promise<Omit<DataContext, "close">> {
  const clock = overrides.clock ?? systemClock;
  const database = overrides.database ?? (await openDatabase(config, { log, maxConnections: overrides.maxConnections, createIfMissing: overrides.createIfMissing ?? overrides.migrate }));
  if (!overrides.database) closers.add(() => database.close());
  if (database.mode === "embedded" || overrides.migrate) {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) log.info({ migrations: applied }, "migrations applied");
  }
  return { config, log, clock, database, audit: new AuditLog(clock, config.audit.chainLanes) };
}

/** building runs build with a fresh set of closers, closing whatever it opened if it fails. */
async function building<T>(log: Logger, build: (closers: Closers) => Promise<T>): Promise<T & { close(): Promise<void> }> {
  const closers = new Closers((error) => log.error({ err: error }, "error during shutdown"));
  try {
    const built = await build(closers);
    return { ...built, close: () => closers.close() };
  } catch (error) {
    await closers.close();
    throw error;
  }
}

/**
 * openDataContext is the first stage of buildAppContext alone: the database (migrated when asked,
 * and always in embedded mode) and the audit log. `migrate` and `grant-role` stop here, so they
 * run without Redis or signing keys: a migration job runs before either needs to exist.
 */
export function openDataContext(config: Config, overrides: DataOverrides = {}): Promise<DataContext> {
  const log = overrides.log ?? createLogger(config.logLevel);
  return building(log, (closers) => openOnto(closers, config, overrides, log));
}

/**
 * buildAppContext is the composition root's builder: it reads the configured keys first, then
 * reaches Redis and the database, and creates every service from config, or takes the override.
 * Anything unusable is a ConfigError naming its variable, and nothing stays open after a failure.
 * Building does not listen: see startApp.
 */
export function buildAppContext(config: Config, overrides: AppOverrides = {}): Promise<AppContext> {
  const log = overrides.log ?? createLogger(config.logLevel);
  return building(log, async (closers) => {
    // Registered first, so closed last: the spans of everything closed before it are sent.
    const tracing = startTracing(config.tracing, log);
    closers.add(() => tracing.shutdown());
    const keys = await readTokenKeyFiles(config, overrides.signingKey);
    requireDataKey(config, overrides.dataKey);
    const namespace = overrides.redisNamespace ?? config.redisKeyPrefix;
    const redis = overrides.redis === null ? undefined : (overrides.redis ?? (await connectConfiguredRedis(config, namespace, log)));
    if (redis && overrides.redis === undefined) closers.add(() => closeRedis(redis, config.redisCommandTimeoutMs));
    const data = await openOnto(closers, config, overrides, log);
    const given = overrides.services ?? {};
    const { database, clock } = data;
    const audit = given.audit ?? data.audit;
    const db = database.db;
    describeMode(config, database, redis, log);
    const signingKey = keys.signingKey ?? (await embeddedSigningKey(config.dataDir, log));
    const cipher = await loadFieldCipher(config, log, overrides.dataKey);

    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const cache: Cache = redis ? new RedisCache(redis, log) : new MemoryCache();
    const bus: RevocationBus = redis ? new RedisRevocationBus(redis, namespace) : new MemoryRevocationBus();
    closers.add(() => bus.close());
    const accessTokens = new AccessTokens(signingKey, keys.previousKeys, config.jwt.issuer, config.jwt.audience, config.jwt.accessTokenTtlSeconds);
    const geoip = overrides.geoip ?? (config.geoipDbFile ? await asConfig("GEOIP_DB_FILE", openGeoIp(config.geoipDbFile), "a GeoIP2 City database") : noGeoIp);
    closers.add(async () => geoip.close());
    const screening = config.screening ? await openScreening(config.screening, log) : undefined;
    if (screening) {
      closers.add(async () => screening.close());
      log.info(screening.listedNames(), "screening names against the sanctions and PEP lists");
    }
    const anomalies = new SessionAnomalies(metrics);
    const sessions =
      given.sessions ??
      new Sessions({ db, clock, accessTokens, audit, bus, log, geoip, cache, anomalies, refreshTokenTtlSeconds: config.jwt.refreshTokenTtlSeconds, ...config.sessions });
    const guard = given.guard ?? new SessionGuard(db, accessTokens, bus, clock);
    const auditTrail = given.auditTrail ?? newAuditTrail(config, { db, clock, log }, signingKey, accessTokens);
    const auditExports = given.auditExports ?? new AuditExports({ db, clock, audit, trail: auditTrail, issuer: config.jwt.issuer });
    await guard.start();
    const storedMemberships = new StoredMemberships(db);
    const profiles = given.profiles ?? new ProfileService(db, cache, audit, clock, config.profileCacheTtlSeconds, storedMemberships);
    const organizations = given.organizations ?? new Organizations({ db, clock, audit, people: profiles });
    const invitations = given.invitations ?? new Invitations({ db, clock, audit, people: profiles });
    const preferences = given.preferences ?? new Preferences(db, clock, audit);
    const { stepsFile, expiresAfterSeconds } = config.onboarding;
    const onboardingSteps = stepsFile ? await asConfig("ONBOARDING_STEPS_FILE", loadOnboardingSteps(stepsFile), "a list of onboarding steps") : new OnboardingSteps(DEFAULT_ONBOARDING_STEPS);
    const onboarding = given.onboarding ?? new Onboarding({ db, clock, audit, steps: onboardingSteps, expiresAfterSeconds });
    const { limits } = config;
    const loginLimit = (name: string, reason: string, points: number) => new Limiter({ name, reason, points, windowSeconds: limits.loginWindowSeconds }, redis);
    const signIns =
      given.signIns ??
      new SignInThrottle({
        db,
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
    const { mfa: mfaLimits } = config;
    const codes = new CodeGuard({ failuresPerUser: mfaLimits.failuresPerUser, windowSeconds: mfaLimits.failureWindowSeconds }, metrics);
    const { sms: smsConfig } = config;
    const smsSender = given.smsSender ?? (smsConfig.webhookUrl ? new WebhookSmsSender(smsConfig.webhookUrl, smsConfig.webhookToken) : new LogSmsSender(log, smsConfig.logText));
    const hourly = (name: string, points: number) => new Limiter({ name, reason: "sms_rate", points, windowSeconds: 3600 }, redis);
    const sms = new SmsCodes({
      sender: smsSender,
      cipher,
      clock,
      sendsPerUser: hourly("sms-user", smsConfig.sendsPerUserPerHour),
      sendsPerPhone: hourly("sms-phone", smsConfig.sendsPerPhonePerHour),
      issuer: mfaLimits.totpIssuer,
    });
    const mfa = given.mfa ?? new Mfa({ db, clock, cipher, audit, sessions, profiles, codes, sms, onboarding, totpIssuer: mfaLimits.totpIssuer });
    const secondFactor = given.secondFactor ?? new MfaSignIn({ db, clock, cipher, audit, codes, sms, log, stepUpRisk: mfaLimits.stepUpRisk });
    const { riskyNetworksFile } = mfaLimits;
    const riskyNetworks = riskyNetworksFile ? await asConfig("RISKY_NETWORKS_FILE", loadNetworkList(riskyNetworksFile), "a list of networks") : noNetworks;
    const signInRisk = given.signInRisk ?? new SignInRisk({ db, clock, audit, profiles, geoip, riskyNetworks, metrics, anomalies });
    const auth =
      given.auth ??
      new AuthService({
        db,
        clock,
        passwords: new PasswordHasher(limits.passwordHashConcurrency),
        identityTokens: new IdentityTokens(config.oidcProviders),
        sessions,
        profiles,
        audit,
        limits: {
          registrationsPerIp: new Limiter({ name: "register-ip", reason: "registration_rate_ip", points: limits.registrationsPerIpPerHour, windowSeconds: 3600 }, redis),
        },
        signIns,
        secondFactor,
        risk: signInRisk,
        blockRiskAt: mfaLimits.blockRisk,
        stepUp: new StepUpFlags(db),
        invitations,
        onboarding,
      });
    const memberships = given.memberships ?? storedMemberships;
    const lifecycle = given.lifecycle ?? new UserLifecycle({ db, clock, audit, profiles, sessions, memberships, members: storedMemberships });
    const violations = new ComplianceViolations(metrics);
    const verificationProvider = given.verificationProvider ?? new RuleVerification(screening);
    const verification = given.verification ?? new IdentityVerification({ db, clock, audit, profiles, lifecycle, provider: verificationProvider, log, violations });
    const complianceAccess = new ComplianceAccess(memberships);
    const compliance = given.compliance ?? new ComplianceProfiles(db, profiles, complianceAccess);
    const kyc = given.kyc ?? new KycDecisions({ db, clock, audit, profiles, lifecycle, access: complianceAccess, compliance });
    const riskScoring =
      given.riskScoring ??
      new RiskScoring({ db, clock, audit, profiles, sessions, lifecycle, metrics, log, violations, highRiskThreshold: config.risk.highRiskThreshold, lockSeconds: config.risk.highRiskLockSeconds });
    const batches = given.batches ?? new BatchVerification({ verification, profiles, log });
    const reviews = given.reviews ?? new PeriodicReviews({ db, clock, audit, metrics });
    const tradingLimits = given.tradingLimits ?? new TradingLimitChanges({ db, clock, audit, profiles, access: complianceAccess, compliance });
    const screenings = given.screenings ?? new ScreeningRequests({ db, clock, audit, profiles, screening, violations });
    const platformRoles = given.platformRoles ?? new PlatformRoles({ db, audit, bus, log });
    const authorizer = given.authorizer ?? new RoleAuthorizer(memberships);
    const adminNetworks = given.adminNetworks ?? new AdminNetworks(config.adminNetworks, db, audit);
    const activity = given.activity ?? new UserActivity({ db, clock, audit, sessions, access: new ActivityAccess(storedMemberships), retentionDays: config.activity.retentionDays });
    // The maintenance job makes them too: a start-up that may not (a database user without the
    // right to create tables) goes on, and the calls it cannot record are counted as dropped.
    await activity.preparePartitions().catch((error: unknown) => log.warn({ err: error }, "cannot make the activity partitions of the coming months; the maintenance job will try again"));
    await auditTrail.preparePartitions().catch((error: unknown) => log.warn({ err: error }, "cannot make the audit trail's partitions of the coming months; the maintenance job will try again"));
    const activityRecorder = new ActivityRecorder(db, { bufferSize: config.activity.bufferSize, flushIntervalMs: config.activity.flushIntervalMs, batchSize: ACTIVITY_BATCH_SIZE }, metrics, log);
    closers.add(() => activityRecorder.close());
    const ready = async () => {
      try {
        await withTimeout(Promise.all([database.ping(), redis?.ping()]), 2_000);
        return true;
      } catch {
        return false;
      }
    };
    return { ...data, audit, auditTrail, auditExports, activity, activityRecorder, redis, redisNamespace: namespace, metrics, accessTokens, sessions, guard, profiles, signIns, secondFactor, auth, mfa, signInRisk, smsSender, memberships, organizations, invitations, preferences, lifecycle, onboarding, verificationProvider, verification, compliance, screenings, kyc, tradingLimits, reviews, batches, riskScoring, platformRoles, authorizer, adminNetworks, cipher, screening, ready };
  });
}
