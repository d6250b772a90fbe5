import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import { migrations } from "../../migrations/index.js";
import type { Database } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { transaction } from "../../src/db/transaction.js";
import { AuditLog, AuditTrail } from "../../src/features/audit/index.js";
import { AccessTokens } from "../../src/platform/crypto/access-tokens.js";
import { createLogger } from "../../src/platform/logger.js";
import { testSigningKey } from "../support/app.js";
import { auditPartitions } from "../support/audit.js";
import { ManualClock } from "../support/clock.js";
import { databaseUrl, withAdmin } from "../support/database.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("migration 0018_audit_partitions", () => {
  const name = `user_service_test_${randomBytes(6).toString("hex")}`;
  const clock = new ManualClock(new Date("2025-06-10T08:00:00Z"));
  let db: Kysely<Database>;
  let migrator: Migrator;
  let trail: AuditTrail;
  beforeAll(async () => {
    await withAdmin((admin) => admin.query(`create database "${name}"`));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(name), max: 2 }) }) });
    migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const key = await testSigningKey();
    const tokens = new AccessTokens(key, [], "test", "test", 60);
    trail = new AuditTrail({ db, clock, key, jwks: () => tokens.jwks(), issuer: "test", retentionDays: 2557, log: createLogger("silent") });
  });
  afterAll(async () => {
    await db?.destroy();
    await withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`));
  });

  const log = new AuditLog(clock, 2);
  const record = (resourceId: string) => transaction(db, (trx) => log.record(trx, { actorUserId: null, action: "test.event", resourceType: "test", resourceId, origin: {} }));
  const rows = () => db.selectFrom("audit_trail").selectAll().orderBy("seq").execute();
  const partitions = () => auditPartitions(db);

  it("moves every entry into monthly partitions unchanged, and the chain goes on", async () => {
    expect((await migrator.migrateTo("0017_audit_context")).error).toBeUndefined();
    for (const at of ["2025-06-10T08:00:00Z", "2025-09-01T00:00:00Z", "2026-01-31T23:59:59Z"]) {
      clock.set(new Date(at));
      await record("alpha");
      await record("beta");
    }
    await trail.checkpoint();
    const before = await rows();

    await migrateToLatest(db);

    expect(await rows()).toEqual(before);
    const made = await partitions();
    expect(made[0]).toBe("audit_trail_2025_06");
    expect(made).toEqual(expect.arrayContaining(["audit_trail_2025_09", "audit_trail_2026_01"]));
    const [stored] = (await sql<{ name: string }>`select tableoid::regclass::text as name from audit_trail where created_at = '2025-09-01T00:00:00Z' limit 1`.execute(db)).rows;
    expect(stored!.name).toBe("audit_trail_2025_09");

    clock.set(new Date());
    await record("alpha");
    await trail.checkpoint();
    expect(await trail.verify()).toMatchObject({ valid: true, checked: before.length + 1, checkpoints: 2 });
    expect((await rows()).at(-1)!.seq).toBe(String(Number(before.at(-1)!.seq) + 1));
  });

  it("keeps the trail append-only, each partition included", async () => {
    const refused = { code: "42501" };
    await expect(sql`delete from audit_trail`.execute(db)).rejects.toMatchObject(refused);
    await expect(sql`update audit_trail_2025_09 set reason = 'tampered'`.execute(db)).rejects.toMatchObject(refused);
    await expect(sql`truncate audit_trail_2025_09`.execute(db)).rejects.toMatchObject(refused);
    await expect(sql`truncate audit_trail`.execute(db)).rejects.toMatchObject(refused);
  });

  it("migrates back to one table with every entry", async () => {
    const before = await rows();

    expect((await migrator.migrateTo("0017_audit_context")).error).toBeUndefined();

    expect(await rows()).toEqual(before);
    expect(await partitions()).toEqual([]);
    await expect(sql`truncate audit_trail`.execute(db)).rejects.toMatchObject({ code: "42501" });
    await record("gamma");
    expect(await trail.verify()).toMatchObject({ valid: true, checked: before.length + 1 });
  });
});
