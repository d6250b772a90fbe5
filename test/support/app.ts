import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Redis } from "ioredis";
import { startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import type { AppServices } from "../../src/context.js";
import { connectPostgres, embeddedHandle, type DatabaseHandle } from "../../src/db/create-database.js";
import type { Db } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import type { Clock } from "../../src/platform/clock.js";
import { createLogger, type Logger } from "../../src/platform/logger.js";
import { closeRedis, connectRedis, waitForRedis } from "../../src/platform/redis.js";
import { loadSigningKey, type SigningKey } from "../../src/platform/crypto/access-tokens.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { REDIS_URL } from "./services.js";

let signingKey: Promise<SigningKey> | undefined;

/** testSigningKey is one Ed25519 key per test process, written to a file like production's. */
export function testSigningKey(): Promise<SigningKey> {
  signingKey ??= (async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-key-"));
    const file = path.join(dir, "jwt.pem");
    await fs.writeFile(file, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
    return loadSigningKey(file);
  })();
  return signingKey;
}

/** TEST_DATA_KEY is the data encryption key of this test process (DATA_ENCRYPTION_KEY's 32 bytes). */
export const TEST_DATA_KEY = randomBytes(32);

export interface TestAppOptions {
  /** PGlite in memory and no Redis, like `npm start` on a laptop. */
  embedded?: boolean;
  /** Extra environment for loadConfig (limits, OIDC providers...). */
  env?: Record<string, string>;
  clock?: Clock;
  /** Run a second replica on the same database, Redis namespace and key as this app. */
  replicaOf?: TestApp;
  /** Where Redis is, when not the test Redis itself (a proxy that can break the link). */
  redisUrl?: string;
  /** A logger to use instead of a silent one (to inspect what the service logs). */
  log?: Logger;
  /** The data encryption key, instead of TEST_DATA_KEY. */
  dataKey?: Buffer;
  /** The access-token signing key, instead of testSigningKey()'s (one a CLI run must share). */
  signingKey?: SigningKey;
  /** Services to use instead of the ones built from config (a second-factor policy, an authorizer...). */
  services?: Partial<AppServices>;
  /** With Redis, run the job workers in the app too (`serve --workers`); otherwise it only relays jobs to Redis. */
  runWorkers?: boolean;
}

/** TestApp is a running service on a free port with its own database and Redis namespace. */
export interface TestApp {
  app: App;
  baseUrl: string;
  db: Db;
  redis: Redis | undefined;
  namespace: string;
  database: TestDatabase | undefined;
  transport(options?: { token?: string; httpVersion?: "1.1" | "2" }): Transport;
  close(): Promise<void>;
}

/** dropNamespace deletes the keys a test app left under its Redis namespace (queued jobs, counters); a Redis a test broke keeps them. */
async function dropNamespace(redis: Redis, namespace: string): Promise<void> {
  const plain = redis.duplicate({ keyPrefix: "", enableOfflineQueue: true });
  try {
    const keys = await plain.keys(`${namespace}*`);
    for (let i = 0; i < keys.length; i += 500) await plain.del(...keys.slice(i, i + 500));
  } catch {
    // Redis is unreachable: nothing to clean that a test can reach either.
  } finally {
    await closeRedis(plain, 1_000);
  }
}

/** startTestApp starts the whole service the way `serve` does, on port 0. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", SHUTDOWN_GRACE_MS: "5000", ...options.env });
  const namespace = options.replicaOf?.namespace ?? `test:${randomBytes(6).toString("hex")}:`;
  let database: TestDatabase | undefined = options.replicaOf?.database;
  let handle: DatabaseHandle;
  let redis: Redis | undefined;
  if (options.embedded) {
    const client = await PGlite.create();
    handle = embeddedHandle(client);
    await migrateToLatest(handle.db);
  } else {
    const owned = !database;
    database ??= await createTestDatabase();
    handle = connectPostgres(database.url, 10);
    if (!owned) database = undefined; // the first replica drops it
    // The service's own client settings (command timeout, no offline queue), so tests see what production does.
    redis = connectRedis(options.redisUrl ?? REDIS_URL, { keyPrefix: namespace, commandTimeoutMs: config.redisCommandTimeoutMs, log: options.log ?? createLogger("silent") });
    await waitForRedis(redis, 5_000);
  }
  let app: App;
  try {
    app = await startApp(config, {
      database: handle,
      redis: redis ?? null,
      redisNamespace: namespace,
      signingKey: options.signingKey ?? (await testSigningKey()),
      dataKey: options.dataKey ?? TEST_DATA_KEY,
      clock: options.clock,
      log: options.log,
      services: options.services,
    }, { runWorkers: options.runWorkers });
  } catch (error) {
    // A start-up refused before the database was handed over leaves it open: nothing may outlive the test.
    await handle.close().catch(() => undefined);
    if (redis) await closeRedis(redis, 1_000);
    if (database && !options.replicaOf) await database.drop();
    throw error;
  }
  const baseUrl = `http://127.0.0.1:${app.port}`;
  return {
    app,
    baseUrl,
    db: handle.db,
    redis,
    namespace,
    database: options.replicaOf?.database ?? database,
    transport({ token, httpVersion = "2" } = {}) {
      const auth: Interceptor = (next) => (req) => {
        if (token) req.header.set("authorization", `Bearer ${token}`);
        return next(req);
      };
      return createConnectTransport({ baseUrl, httpVersion, interceptors: [auth] });
    },
    async close() {
      await app.close();
      await handle.close(); // the app leaves a database it was given to its owner
      if (redis && !options.replicaOf) await dropNamespace(redis, namespace);
      if (redis) await closeRedis(redis, 1_000);
      if (database && !options.replicaOf) await database.drop();
    },
  };
}
