import path from "node:path";
import { IDENTITY_PROVIDERS, isIdentityProviderName, type IdentityProviderName } from "./shared/identity-providers.js";
import { networkListOf, type NetworkList } from "./platform/networks.js";

/** OidcProvider is an identity provider whose id tokens Register accepts. */
export interface OidcProvider {
  issuer: string;
  audience: string;
  jwksUri: string;
}

/** ConnectionLimits bound what clients can hold open on the public port (README: "Connection limits"). */
export interface ConnectionLimits {
  /** A request's headers must arrive within this; so must a new connection's first bytes and its TLS handshake. */
  headersTimeoutMs: number;
  /** A request must arrive whole, body included, within this: an HTTP/1.1 request or an HTTP/2 stream's request side. */
  requestTimeoutMs: number;
  /** A connection (HTTP/1.1) or session (HTTP/2) with no call running is closed after this long without traffic. */
  idleTimeoutMs: number;
  /** Open connections in all; the excess is closed as it is accepted. */
  maxConnections: number;
  /** Open connections per TCP peer address (a proxy in front counts as one peer); 0: no cap. */
  maxConnectionsPerAddress: number;
  /** Streams (calls) one HTTP/2 connection may have open at once, advertised in its SETTINGS. */
  http2MaxConcurrentStreams: number;
}

/** Config is the service's whole configuration, read once from the environment. */
export interface Config {
  port: number;
  host: string;
  /** A separate plain HTTP/1.1 listener for /metrics and the health endpoints; absent: they share the public port. */
  admin: { host: string; port: number } | undefined;
  connections: ConnectionLimits;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so deployments sharing one Redis stay apart. */
  redisKeyPrefix: string;
  /** How long start-up waits for Redis before exiting. */
  redisConnectTimeoutMs: number;
  /** How long any one Redis command may take; a stalled Redis costs a call no more. */
  redisCommandTimeoutMs: number;
  dataDir: string;
  jwt: {
    issuer: string;
    audience: string;
    privateKeyFile: string | undefined;
    /** Keys rotated out: still accepted and published until the tokens they signed expire. */
    previousKeyFiles: string[];
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
  };
  /** Key sealing MFA secrets and phone numbers at rest; required with DATABASE_URL, generated under DATA_DIR otherwise. */
  dataEncryptionKey: Buffer | undefined;
  /** Keys rotated out: they still open what they sealed until `rotate-keys` re-seals it. */
  previousDataEncryptionKeys: Buffer[];
  mfa: {
    /** The issuer authenticator apps show beside the account. */
    totpIssuer: string;
    /** Wrong second-factor codes per user in a window before the user's codes are refused until it ends. */
    failuresPerUser: number;
    failureWindowSeconds: number;
    /** A sign-in scoring this much risk or more needs the second factor even from a trusted device. */
    stepUpRisk: number;
    /** A sign-in scoring this much risk or more is refused. */
    blockRisk: number;
    /** Networks (CIDRs) whose sign-ins score as risky. */
    riskyNetworksFile: string | undefined;
  };
  sessions: {
    /** A session not refreshed for this long ends (ASVS 3.3.2). */
    idleTimeoutSeconds: number;
    /** A session ends this long after sign-in, however active (ASVS 3.3.2). */
    maxLifetimeSeconds: number;
    /** How long TrustDevice lets a device skip the second factor. */
    trustedDeviceSeconds: number;
  };
  /** Sanctions and PEP screening of names; absent without SANCTIONS_LIST_FILE. */
  screening: { sanctionsFile: string; pepFile: string | undefined; threshold: number } | undefined;
  /** A GeoIP2/GeoLite2 City database placing sign-ins; absent: no locations. */
  geoipDbFile: string | undefined;
  sms: {
    /** Where texts are handed over (SMS_WEBHOOK_URL); absent: they are logged instead, never sent. */
    webhookUrl: string | undefined;
    webhookToken: string | undefined;
    /** Whether the logging sender may print a text, codes included: never in production. */
    logText: boolean;
    sendsPerUserPerHour: number;
    sendsPerPhonePerHour: number;
  };
  logLevel: string;
  tls: { certFile: string; keyFile: string } | undefined;
  oidcProviders: Partial<Record<IdentityProviderName, OidcProvider>>;
  limits: {
    /** Failed sign-ins per account from one client address (IPv6: one /64) before that pair is locked out for the window. */
    loginFailuresPerAccountAddress: number;
    /** Failed sign-ins per account from one device that signed in to it before. */
    loginFailuresPerDevice: number;
    /** Failed sign-ins per account from unknown devices, all addresses together: the ceiling against distributed guessing. */
    loginFailuresPerAccount: number;
    /** Failed sign-ins per client IP address, whatever the accounts, before it is locked out for the window. */
    loginFailuresPerIp: number;
    loginWindowSeconds: number;
    /** Attempts per budget answered at full speed; later ones wait loginSlowdownBaseMs, doubling each time (4 s at most). */
    loginSlowdownAfter: number;
    /** The first slowdown; 0 turns slowing down off. */
    loginSlowdownBaseMs: number;
    /** Sign-ups per client IP address per hour. */
    registrationsPerIpPerHour: number;
    /** Password hashes computed at once; more wait their turn. */
    passwordHashConcurrency: number;
  };
  profileCacheTtlSeconds: number;
  onboarding: {
    /** A JSON file listing the onboarding steps (ONBOARDING_STEPS_FILE); absent: the built-in steps. */
    stepsFile: string | undefined;
    /** How long a new user has to complete onboarding before it expires. */
    expiresAfterSeconds: number;
  };
  jobs: {
    /** Runs every job fails before it lands in the dead letters. */
    attempts: number;
    /** The wait before the first retry; each later one waits twice as long as the one before. */
    backoffMs: number;
    /** Jobs one process runs at once. */
    concurrency: number;
    /** How often the outbox is read for jobs nobody announced (written by another process, or due for a retry). */
    pollIntervalMs: number;
    /** How long a job's worker may go silent before its job is given to another worker (BullMQ's lock). */
    lockDurationMs: number;
    /** How often the review sweep runs (REVIEW_SWEEP_INTERVAL). */
    reviewSweepSeconds: number;
  };
  risk: {
    /** A user risk score this high runs the security protocols (HIGH_RISK_THRESHOLD). */
    highRiskThreshold: number;
    /** How long the security protocols lock an account (HIGH_RISK_LOCK_DURATION). */
    highRiskLockSeconds: number;
  };
  activity: {
    /** Whether calls are recorded (ACTIVITY_RECORDING: on, or off to measure what recording costs). */
    recording: boolean;
    /** Call records held for writing at most (ACTIVITY_BUFFER_SIZE); more are dropped and counted. */
    bufferSize: number;
    /** How often the call records are written (ACTIVITY_FLUSH_INTERVAL_MS). */
    flushIntervalMs: number;
    /** How often users' daily figures are rolled up (ACTIVITY_ROLLUP_INTERVAL). */
    rollupSeconds: number;
    /** How long call records and daily figures are kept, in days (ACTIVITY_RETENTION_DAYS); whole months go. */
    retentionDays: number;
  };
  audit: {
    /**
     * How many hash-chain lanes events outside organizations spread over (AUDIT_CHAIN_LANES); each
     * organization has its own. Two writers wait for each other only when their actors hash to one
     * lane, so the lanes should far outnumber the transactions writing at once.
     */
    chainLanes: number;
    /** How often a signed checkpoint of the lanes' heads is written (AUDIT_CHECKPOINT_INTERVAL). */
    checkpointSeconds: number;
    /** How long entries are kept, in days (AUDIT_RETENTION_DAYS); whole months go, with a signed checkpoint of the cut. */
    retentionDays: number;
  };
  shutdownGraceMs: number;
  /** Browser origins (scheme://host[:port]) allowed to call the API with Connect-Web or gRPC-Web. */
  corsOrigins: string[];
  /** Proxies (load balancers) in front of the service that append the client to X-Forwarded-For. */
  trustedProxyHops: number;
  /** Where calls that need a platform role may come from (ADMIN_IP_ALLOWLIST); undefined: anywhere. */
  adminNetworks: NetworkList | undefined;
  /** OpenTelemetry tracing (README: "Tracing"). */
  tracing: {
    /** Where spans are sent, OTLP over HTTP (protobuf); undefined: tracing is off and nothing is registered. */
    tracesUrl: string | undefined;
    /** The service.name the spans carry (OTEL_SERVICE_NAME). */
    serviceName: string;
  };
}

/**
 * ConfigError names the environment variable that is missing or malformed, or whose value cannot
 * be used (a key file that does not parse, a database that cannot be reached, a port in use).
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** adminNetworks reads ADMIN_IP_ALLOWLIST: comma-separated CIDRs or addresses. */
function adminNetworks(env: Env): NetworkList | undefined {
  const entries = (env.ADMIN_IP_ALLOWLIST ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return undefined;
  try {
    return networkListOf(entries);
  } catch (error) {
    throw new ConfigError("ADMIN_IP_ALLOWLIST", (error as Error).message);
  }
}

/** switchedOn reads an on/off variable. */
function switchedOn(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw !== "on" && raw !== "off") throw new ConfigError(name, `must be on or off, got "${raw}"`);
  return raw === "on";
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return value;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, "is not a valid URL");
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(" or ")}`);
  }
  return raw;
}

/** decimal reads a number such as 0.9 between min and max. */
function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new ConfigError(name, `must be a number between ${min} and ${max}, got "${raw}"`);
  return value;
}

/** screening reads SANCTIONS_LIST_FILE, PEP_LIST_FILE and SCREENING_MATCH_THRESHOLD. */
function screening(env: Env): Config["screening"] {
  const sanctionsFile = env.SANCTIONS_LIST_FILE || undefined;
  const pepFile = env.PEP_LIST_FILE || undefined;
  const threshold = decimal(env, "SCREENING_MATCH_THRESHOLD", 0.9, 0.5, 1);
  if (!sanctionsFile) {
    if (pepFile) throw new ConfigError("PEP_LIST_FILE", "needs SANCTIONS_LIST_FILE: names are screened against both lists or none");
    return undefined;
  }
  return { sanctionsFile, pepFile, threshold };
}

const DAY_SECONDS = 24 * 3600;
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: DAY_SECONDS };

/** duration reads a length of time such as 45m, 12h or 7d (a bare number is seconds), in seconds. */
function duration(env: Env, name: string, fallbackSeconds: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallbackSeconds;
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim());
  const seconds = match ? Number(match[1]) * DURATION_UNITS[match[2] || "s"]! : 0;
  if (seconds < 60 || seconds > 3650 * DAY_SECONDS) throw new ConfigError(name, "must be a duration such as 45m, 12h or 7d, between a minute and ten years");
  return seconds;
}

/** base64Key reads one data encryption key: 32 bytes, base64-encoded. */
function base64Key(variable: string, raw: string): Buffer {
  const key = Buffer.from(raw, "base64");
  if (key.length !== 32 || key.toString("base64") !== raw.replace(/\s/g, "")) {
    throw new ConfigError(variable, "must be 32 bytes, base64-encoded");
  }
  return key;
}

function encryptionKey(env: Env): Buffer | undefined {
  const raw = env.DATA_ENCRYPTION_KEY;
  return raw === undefined || raw === "" ? undefined : base64Key("DATA_ENCRYPTION_KEY", raw);
}

function previousEncryptionKeys(env: Env): Buffer[] {
  const keys = (env.DATA_ENCRYPTION_PREVIOUS_KEYS ?? "").split(",").map((raw) => raw.trim()).filter(Boolean);
  return keys.map((raw) => base64Key("DATA_ENCRYPTION_PREVIOUS_KEYS", raw));
}

function oidcProviders(env: Env): Config["oidcProviders"] {
  const raw = env.OIDC_PROVIDERS;
  if (raw === undefined || raw === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError("OIDC_PROVIDERS", "is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError("OIDC_PROVIDERS", 'must be an object like {"GOOGLE": {"issuer", "audience", "jwksUri"}}');
  }
  const providers: Config["oidcProviders"] = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!isIdentityProviderName(name)) {
      throw new ConfigError("OIDC_PROVIDERS", `unknown provider "${name}" (${IDENTITY_PROVIDERS.join(", ")})`);
    }
    const { issuer, audience, jwksUri } = (value ?? {}) as Record<string, unknown>;
    if (typeof issuer !== "string" || typeof audience !== "string" || typeof jwksUri !== "string") {
      throw new ConfigError("OIDC_PROVIDERS", `${name} needs string issuer, audience and jwksUri`);
    }
    url({ jwksUri }, "jwksUri", ["https:", "http:"]);
    providers[name] = { issuer, audience, jwksUri };
  }
  return providers;
}

function origins(env: Env): string[] {
  const raw = env.CORS_ALLOWED_ORIGINS;
  if (!raw) return [];
  return raw.split(",").map((entry) => {
    const origin = entry.trim();
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ConfigError("CORS_ALLOWED_ORIGINS", `"${origin}" is not an origin like https://app.example.com`);
    }
    if (parsed.origin !== origin) throw new ConfigError("CORS_ALLOWED_ORIGINS", `"${origin}" is not an origin like https://app.example.com`);
    return origin;
  });
}

function keyPrefix(env: Env): string {
  const raw = env.REDIS_KEY_PREFIX;
  if (raw === undefined || raw === "") return "user-service:";
  if (!/^[\w.:-]{1,64}$/.test(raw)) throw new ConfigError("REDIS_KEY_PREFIX", "must be 1 to 64 letters, digits, '_', '.', ':' or '-'");
  return raw;
}

function connectionLimits(env: Env): ConnectionLimits {
  const headersTimeoutMs = integer(env, "HTTP_HEADERS_TIMEOUT_MS", 10_000, 100, 600_000);
  const requestTimeoutMs = integer(env, "HTTP_REQUEST_TIMEOUT_MS", 30_000, 100, 3_600_000);
  // node refuses a header deadline later than the whole request's.
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError("HTTP_HEADERS_TIMEOUT_MS", "must not exceed HTTP_REQUEST_TIMEOUT_MS");
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    idleTimeoutMs: integer(env, "HTTP_IDLE_TIMEOUT_MS", 65_000, 100, 3_600_000),
    maxConnections: integer(env, "MAX_CONNECTIONS", 10_000, 1, 1_000_000),
    maxConnectionsPerAddress: integer(env, "MAX_CONNECTIONS_PER_ADDRESS", 256, 0, 1_000_000),
    http2MaxConcurrentStreams: integer(env, "HTTP2_MAX_CONCURRENT_STREAMS", 100, 1, 10_000),
  };
}

function admin(env: Env, host: string, port: number): Config["admin"] {
  if (env.ADMIN_PORT === undefined || env.ADMIN_PORT === "") return undefined;
  // 0 asks the system for any free port (tests do).
  const adminPort = integer(env, "ADMIN_PORT", 0, 0, 65535);
  if (adminPort !== 0 && adminPort === port) throw new ConfigError("ADMIN_PORT", "must differ from PORT");
  return { host: env.ADMIN_HOST || host, port: adminPort };
}

/**
 * tracing reads where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else
 * OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended, as OpenTelemetry specifies both. The
 * exporter reads the rest of its standard variables (headers, timeout, compression) itself.
 */
function tracing(env: Env): Config["tracing"] {
  const base = url(env, "OTEL_EXPORTER_OTLP_ENDPOINT", ["http:", "https:"]);
  const traces = url(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", ["http:", "https:"]);
  return {
    tracesUrl: traces ?? (base && `${base.endsWith("/") ? base : `${base}/`}v1/traces`),
    serviceName: env.OTEL_SERVICE_NAME || "user-service",
  };
}

/** loadConfig reads the environment; it throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = url(env, "DATABASE_URL", ["postgres:", "postgresql:"]);
  const dataDir = path.resolve(env.DATA_DIR || "./data");
  const privateKeyFile = env.JWT_PRIVATE_KEY_FILE || undefined;
  if (databaseUrl && !privateKeyFile) {
    // Replicas must share one signing key; only embedded mode may generate its own.
    throw new ConfigError("JWT_PRIVATE_KEY_FILE", "is required when DATABASE_URL is set");
  }
  const certFile = env.TLS_CERT_FILE || undefined;
  const keyFile = env.TLS_KEY_FILE || undefined;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new ConfigError(certFile ? "TLS_KEY_FILE" : "TLS_CERT_FILE", "must be set together with its pair");
  }
  const logLevel = env.LOG_LEVEL || "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    throw new ConfigError("LOG_LEVEL", "must be one of fatal, error, warn, info, debug, trace, silent");
  }
  const loginFailuresPerAccountAddress = integer(env, "LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", 10, 1, 1_000_000);
  const loginFailuresPerAccount = integer(env, "LOGIN_FAILURES_PER_ACCOUNT", 100, 1, 1_000_000);
  if (loginFailuresPerAccount <= loginFailuresPerAccountAddress) {
    // Else one address alone would exhaust the ceiling every other address shares, locking the owner out.
    throw new ConfigError("LOGIN_FAILURES_PER_ACCOUNT", "must be greater than LOGIN_FAILURES_PER_ACCOUNT_ADDRESS");
  }
  const port = integer(env, "PORT", 8080, 0, 65535);
  const host = env.HOST || "0.0.0.0";
  return {
    port,
    host,
    admin: admin(env, host, port),
    connections: connectionLimits(env),
    databaseUrl,
    redisUrl: url(env, "REDIS_URL", ["redis:", "rediss:"]),
    redisKeyPrefix: keyPrefix(env),
    redisConnectTimeoutMs: integer(env, "REDIS_CONNECT_TIMEOUT_MS", 10_000, 100, 600_000),
    redisCommandTimeoutMs: integer(env, "REDIS_COMMAND_TIMEOUT_MS", 500, 10, 60_000),
    dataDir,
    jwt: {
      issuer: env.JWT_ISSUER || "user-service",
      audience: env.JWT_AUDIENCE || "platform",
      privateKeyFile,
      previousKeyFiles: (env.JWT_PREVIOUS_KEY_FILES ?? "").split(",").map((f) => f.trim()).filter(Boolean),
      accessTokenTtlSeconds: 3600,
      refreshTokenTtlSeconds: 30 * 24 * 3600,
    },
    dataEncryptionKey: encryptionKey(env),
    previousDataEncryptionKeys: previousEncryptionKeys(env),
    mfa: {
      totpIssuer: env.TOTP_ISSUER || "user-service",
      failuresPerUser: integer(env, "MFA_FAILURES_PER_USER", 10, 1, 1_000),
      failureWindowSeconds: integer(env, "MFA_FAILURE_WINDOW_SECONDS", 900, 60, 86_400),
      stepUpRisk: integer(env, "MFA_STEP_UP_RISK", 50, 0, 101),
      blockRisk: integer(env, "SIGN_IN_BLOCK_RISK", 90, 1, 101),
      riskyNetworksFile: env.RISKY_NETWORKS_FILE || undefined,
    },
    sessions: {
      idleTimeoutSeconds: duration(env, "SESSION_IDLE_TIMEOUT", 7 * DAY_SECONDS),
      maxLifetimeSeconds: duration(env, "SESSION_MAX_LIFETIME", 30 * DAY_SECONDS),
      trustedDeviceSeconds: duration(env, "TRUSTED_DEVICE_PERIOD", 30 * DAY_SECONDS),
    },
    geoipDbFile: env.GEOIP_DB_FILE || undefined,
    screening: screening(env),
    sms: {
      webhookUrl: url(env, "SMS_WEBHOOK_URL", ["https:", "http:"]),
      webhookToken: env.SMS_WEBHOOK_TOKEN || undefined,
      logText: env.NODE_ENV !== "production",
      sendsPerUserPerHour: integer(env, "SMS_SENDS_PER_USER_PER_HOUR", 5, 1, 1_000),
      sendsPerPhonePerHour: integer(env, "SMS_SENDS_PER_PHONE_PER_HOUR", 5, 1, 1_000),
    },
    logLevel,
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    oidcProviders: oidcProviders(env),
    limits: {
      loginFailuresPerAccountAddress,
      loginFailuresPerDevice: integer(env, "LOGIN_FAILURES_PER_DEVICE", 10, 1, 1_000_000),
      loginFailuresPerAccount,
      loginFailuresPerIp: integer(env, "LOGIN_FAILURES_PER_IP", 100, 1, 1_000_000),
      loginWindowSeconds: integer(env, "LOGIN_FAILURE_WINDOW_SECONDS", 900, 1, 86_400),
      loginSlowdownAfter: integer(env, "LOGIN_SLOWDOWN_AFTER", 3, 0, 1_000_000),
      loginSlowdownBaseMs: integer(env, "LOGIN_SLOWDOWN_BASE_MS", 1_000, 0, 4_000),
      registrationsPerIpPerHour: integer(env, "REGISTRATIONS_PER_IP_PER_HOUR", 20, 1, 100_000_000),
      passwordHashConcurrency: integer(env, "PASSWORD_HASH_CONCURRENCY", 4, 1, 64),
    },
    profileCacheTtlSeconds: integer(env, "PROFILE_CACHE_TTL_SECONDS", 300, 1, 86_400),
    onboarding: {
      stepsFile: env.ONBOARDING_STEPS_FILE || undefined,
      expiresAfterSeconds: duration(env, "ONBOARDING_EXPIRES_AFTER", 30 * DAY_SECONDS),
    },
    jobs: {
      attempts: integer(env, "JOB_ATTEMPTS", 5, 1, 100),
      backoffMs: integer(env, "JOB_BACKOFF_MS", 1_000, 10, 3_600_000),
      concurrency: integer(env, "JOB_CONCURRENCY", 8, 1, 256),
      pollIntervalMs: integer(env, "JOB_POLL_INTERVAL_MS", 1_000, 50, 60_000),
      lockDurationMs: integer(env, "JOB_LOCK_DURATION_MS", 30_000, 1_000, 600_000),
      reviewSweepSeconds: duration(env, "REVIEW_SWEEP_INTERVAL", 3600),
    },
    risk: {
      highRiskThreshold: integer(env, "HIGH_RISK_THRESHOLD", 80, 1, 100),
      highRiskLockSeconds: duration(env, "HIGH_RISK_LOCK_DURATION", DAY_SECONDS),
    },
    activity: {
      recording: switchedOn(env, "ACTIVITY_RECORDING", true),
      bufferSize: integer(env, "ACTIVITY_BUFFER_SIZE", 10_000, 100, 1_000_000),
      flushIntervalMs: integer(env, "ACTIVITY_FLUSH_INTERVAL_MS", 1_000, 10, 60_000),
      rollupSeconds: duration(env, "ACTIVITY_ROLLUP_INTERVAL", 3600),
      retentionDays: integer(env, "ACTIVITY_RETENTION_DAYS", 400, 31, 36_500),
    },
    audit: {
      chainLanes: integer(env, "AUDIT_CHAIN_LANES", 256, 1, 4096),
      checkpointSeconds: duration(env, "AUDIT_CHECKPOINT_INTERVAL", 900),
      // Seven years, as trading regulation expects; never less than one year.
      retentionDays: integer(env, "AUDIT_RETENTION_DAYS", 2557, 365, 36_500),
    },
    shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 25_000, 0, 600_000),
    corsOrigins: origins(env),
    trustedProxyHops: integer(env, "TRUSTED_PROXY_HOPS", 0, 0, 10),
    adminNetworks: adminNetworks(env),
    tracing: tracing(env),
  };
}
