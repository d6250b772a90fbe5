import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { PGlite } from "@electric-sql/pglite";
import { Redis } from "ioredis";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { startApp, type App } from "../../src/app.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { embeddedHandle, type DatabaseHandle } from "../../src/db/create-database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { TEST_DATA_KEY, testSigningKey } from "../support/app.js";
import { REDIS_URL, servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describe("REDIS_KEY_PREFIX", () => {
  it("refuses characters that do not belong in a key prefix", () => {
    expect(() => loadConfig({ REDIS_KEY_PREFIX: "a b*" })).toThrow(ConfigError);
    expect(loadConfig({}).redisKeyPrefix).toBe("user-service:");
  });
});

describeWithServices("REDIS_KEY_PREFIX on a shared Redis", () => {
  const prefix = `prefix-test-${randomBytes(4).toString("hex")}:`;
  let app: App;
  let redis: Redis;
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = embeddedHandle(await PGlite.create());
    await migrateToLatest(database.db);
    const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", REDIS_URL, REDIS_KEY_PREFIX: prefix });
    app = await startApp(config, { database, signingKey: await testSigningKey(), dataKey: TEST_DATA_KEY });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.unlink(...keys);
    redis?.disconnect();
  });

  it("keeps every key the service writes under the prefix", async () => {
    const auth = createClient(AuthService, createConnectTransport({ baseUrl: `http://127.0.0.1:${app.port}`, httpVersion: "2" }));
    await auth.register({ email: `prefix.${randomBytes(4).toString("hex")}@example.com`, password: "violet-harbor-lantern-91", fullName: "Prefix Tester" });
    expect((await redis.keys(`${prefix}*`)).length).toBeGreaterThan(0);
  });
});
