import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { Kysely, Migrator, PostgresDialect } from "kysely";
import { migrations } from "../../migrations/index.js";
import type { Database } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { transaction } from "../../src/db/transaction.js";
import { auditHash, GENESIS_HASH, type AuditRecord } from "../../src/features/audit/audit-hash.js";
import { AuditLog, AuditTrail } from "../../src/features/audit/index.js";
import { systemClock } from "../../src/platform/clock.js";
import { AccessTokens } from "../../src/platform/crypto/access-tokens.js";
import { createLogger } from "../../src/platform/logger.js";
import { testSigningKey } from "../support/app.js";
import { databaseUrl, withAdmin } from "../support/database.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("migration 0015_audit_lanes", () => {
  const name = `user_service_test_${randomBytes(6).toString("hex")}`;
  let db: Kysely<Database>;
  beforeAll(async () => {
    await withAdmin((admin) => admin.query(`create database "${name}"`));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(name), max: 2 }) }) });
  });
  afterAll(async () => {
    await db?.destroy();
    await withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`));
  });

  /** Writes entries as the single chain did before lanes: each chained to the last row by seq. */
  async function writeSingleChain(count: number): Promise<void> {
    let prevHash: Buffer = GENESIS_HASH;
    for (let i = 0; i < count; i++) {
      const record: AuditRecord = {
        id: crypto.randomUUID(),
        actorUserId: null,
        action: "test.event",
        resourceType: "test",
        resourceId: `resource-${i}`,
        organizationId: i === 1 ? crypto.randomUUID() : null,
        oldValues: null,
        newValues: { step: i },
        reason: null,
        ipAddress: null,
        userAgent: null,
        complianceRelevant: false,
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
        requestId: null,
        onBehalfOfUserId: null,
      };
      const hash = auditHash(prevHash, record);
      await (db as Kysely<any>)
        .insertInto("audit_trail")
        .values({
          id: record.id,
          actor_user_id: null,
          action: record.action,
          resource_type: record.resourceType,
          resource_id: record.resourceId,
          organization_id: record.organizationId,
          new_values: JSON.stringify(record.newValues),
          compliance_relevant: false,
          created_at: record.createdAt,
          prev_hash: prevHash,
          hash,
        })
        .execute();
      prevHash = hash;
    }
  }

  it("turns the single chain into the lane platform:0, which stays valid and which new entries continue", async () => {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo("0014_risk_scoring")).error).toBeUndefined();
    await writeSingleChain(3);

    await migrateToLatest(db);

    const rows = await db.selectFrom("audit_trail").select(["lane", "lane_seq", "hash"]).orderBy("seq").execute();
    expect(rows.map((r) => [r.lane, r.lane_seq])).toEqual([["platform:0", "1"], ["platform:0", "2"], ["platform:0", "3"]]);
    const head = await db.selectFrom("audit_lane_heads").selectAll().executeTakeFirstOrThrow();
    expect({ lane: head.lane, seq: head.seq, hash: Buffer.from(head.hash) }).toEqual({ lane: "platform:0", seq: "3", hash: Buffer.from(rows[2]!.hash) });

    await transaction(db, (trx) => new AuditLog(systemClock, 1).record(trx, { actorUserId: null, action: "test.after", resourceType: "test", resourceId: "after", origin: {} }));

    const key = await testSigningKey();
    const tokens = new AccessTokens(key, [], "test", "test", 60);
    const trail = new AuditTrail({ db, clock: systemClock, key, jwks: () => tokens.jwks(), issuer: "test", retentionDays: 2557, log: createLogger("silent") });
    await trail.checkpoint();
    expect(await trail.verify()).toEqual({ valid: true, checked: 4, lanes: 1, checkpoints: 1 });
    const after = await db.selectFrom("audit_trail").select(["lane", "lane_seq"]).where("action", "=", "test.after").executeTakeFirstOrThrow();
    expect(after).toEqual({ lane: "platform:0", lane_seq: "4" });
  });
});
