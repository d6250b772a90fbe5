import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "@jest/globals";
import { PGlite } from "@electric-sql/pglite";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ProfileService } from "../gen/platform/user/v1/profile_service_pb.js";
import { listen, type App } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { buildAppContext, openDataContext, type AppContext, type AppServices } from "../src/context.js";
import { embeddedHandle, type DatabaseHandle } from "../src/db/create-database.js";
import { migrateToLatest } from "../src/db/migrate.js";
import { AuditLog } from "../src/features/audit/index.js";
import { ProfileService as Profiles, type Profile } from "../src/features/profile/index.js";
import { MemoryCache } from "../src/platform/cache.js";
import { systemClock, type Clock } from "../src/platform/clock.js";
import { Closers } from "../src/shared/closers.js";
import { TEST_DATA_KEY, testSigningKey } from "./support/app.js";
import { GOOD_PASSWORD, uniqueEmail } from "./support/factories.js";

const config = (env: Record<string, string> = {}) => loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", ...env });

async function memoryDatabase(): Promise<DatabaseHandle> {
  const handle = embeddedHandle(await PGlite.create());
  await migrateToLatest(handle.db);
  return handle;
}

describe("Closers", () => {
  it("closes in reverse order of adding, once however often close() is called", async () => {
    const closed: string[] = [];
    const closers = new Closers(() => undefined);
    for (const name of ["database", "redis", "server"]) closers.add(async () => void closed.push(name));
    await Promise.all([closers.close(), closers.close()]);
    await closers.close();
    expect(closed).toEqual(["server", "redis", "database"]);
  });

  it("reports a closer that fails and still runs the others", async () => {
    const closed: string[] = [];
    const reported: unknown[] = [];
    const closers = new Closers((error) => reported.push(error));
    closers.add(async () => void closed.push("first"));
    closers.add(async () => {
      throw new Error("stuck");
    });
    await closers.close();
    expect(closed).toEqual(["first"]);
    expect(reported).toEqual([new Error("stuck")]);
  });
});

describe("buildAppContext", () => {
  let database: DatabaseHandle | undefined;
  let context: AppContext | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await context?.close();
    await database?.close();
    app = context = database = undefined;
  });

  const build = async (services: Partial<AppServices> = {}, clock?: Clock, given?: DatabaseHandle) => {
    database = given ?? (await memoryDatabase());
    context = await buildAppContext(config(), { database, redis: null, signingKey: await testSigningKey(), dataKey: TEST_DATA_KEY, services, clock });
    return context;
  };

  it("builds every service without listening: the services work before any port is open", async () => {
    const built = await build();
    expect(built).not.toHaveProperty("port");
    const tokens = await built.auth.register(
      { email: uniqueEmail("context"), password: GOOD_PASSWORD, fullName: "Context Tester", registrationType: "email", investmentProfile: "moderate", riskTolerance: "medium", idToken: "", organizationInviteToken: "", device: {} },
      {},
    );
    expect((await built.profiles.get(tokens.userId)).fullName).toBe("Context Tester");
  });

  it("serves the context it is given once listen() is called, through the services in it", async () => {
    // A profile service that answers every read with a stand-in: GetProfile shows which one served it.
    class StandInProfiles extends Profiles {
      override async get(userId: string): Promise<Profile> {
        return { ...(await super.get(userId)), email: "stand-in@example.com" };
      }
    }
    database = await memoryDatabase();
    const profiles = new StandInProfiles(database.db, new MemoryCache(), new AuditLog(systemClock, 1), systemClock, 60, { of: async () => [] });
    const built = await build({ profiles }, undefined, database);
    const tokens = await built.auth.register(
      { email: uniqueEmail("listen"), password: GOOD_PASSWORD, fullName: "Listen Tester", registrationType: "email", investmentProfile: "moderate", riskTolerance: "medium", idToken: "", organizationInviteToken: "", device: {} },
      {},
    );
    app = await listen(built);
    const transport = createConnectTransport({
      baseUrl: `http://127.0.0.1:${app.port}`,
      httpVersion: "2",
      interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${tokens.accessToken}`), next(req))],
    });
    const profile = await createClient(ProfileService, transport).getProfile({});
    expect(profile.email).toBe("stand-in@example.com");
  });

  it("uses an injected clock for what it stamps", async () => {
    const frozen = new Date("2031-05-01T12:00:00Z");
    const built = await build({}, { now: () => frozen });
    const tokens = await built.auth.register(
      { email: uniqueEmail("clock"), password: GOOD_PASSWORD, fullName: "Clock Tester", registrationType: "email", investmentProfile: "moderate", riskTolerance: "medium", idToken: "", organizationInviteToken: "", device: {} },
      {},
    );
    expect((await built.profiles.get(tokens.userId)).createdAt).toEqual(frozen);
  });

  it("closes once: App.close() and context.close() may both be called, any number of times", async () => {
    const built = await build();
    app = await listen(built);
    const port = app.port;
    await Promise.all([app.close(), app.close(), built.close()]);
    await built.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    // The database handle belongs to the test: the context left it open.
    await expect(database!.ping()).resolves.toBeUndefined();
  });
});

describe("the data encryption key", () => {
  it("is generated once under DATA_DIR in embedded mode, readable by the owner only, and reused", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-data-"));
    const database = await memoryDatabase();
    try {
      const keyIds: string[] = [];
      for (let start = 0; start < 2; start++) {
        const context = await buildAppContext(config({ DATA_DIR: dataDir }), { database, redis: null, signingKey: await testSigningKey() });
        keyIds.push(context.cipher.currentKeyId);
        await context.close();
      }
      expect((await fs.stat(path.join(dataDir, "data-encryption-key"))).mode & 0o777).toBe(0o600);
      expect(keyIds[1]).toBe(keyIds[0]);
    } finally {
      await database.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("openDataContext", () => {
  it("opens and migrates the database without reaching Redis or reading a signing key", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-data-"));
    try {
      // Nothing answers on port 1 and the key file does not exist: the data stage needs neither.
      const context = await openDataContext(config({ DATA_DIR: dataDir, REDIS_URL: "redis://127.0.0.1:1", JWT_PRIVATE_KEY_FILE: path.join(dataDir, "missing.pem") }));
      try {
        const users = await context.database.db.selectFrom("users").select("id").execute();
        expect(users).toEqual([]);
      } finally {
        await context.close();
        await context.close();
      }
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses the whole context when Redis cannot be reached, naming REDIS_URL, and leaves nothing open", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-data-"));
    try {
      await expect(buildAppContext(config({ DATA_DIR: dataDir, REDIS_URL: "redis://127.0.0.1:1", REDIS_CONNECT_TIMEOUT_MS: "500" }))).rejects.toMatchObject({
        variable: "REDIS_URL",
      });
      // The data directory is not held: a second opening takes its lock at once.
      const context = await openDataContext(config({ DATA_DIR: dataDir }));
      await context.close();
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
