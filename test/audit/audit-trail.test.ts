import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { Selectable } from "kysely";
import { sql } from "kysely";
import type { AuditTrailTable } from "../../src/db/tables/audit.js";
import { auditHash, GENESIS_HASH, type AuditRecord } from "../../src/features/audit/audit-hash.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser, registerWithRole } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

type AuditRow = Selectable<AuditTrailTable>;

/** toRecord reads a stored row back into the shape its hash was computed over. */
function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    actorUserId: row.actor_user_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    organizationId: row.organization_id,
    oldValues: row.old_values,
    newValues: row.new_values,
    reason: row.reason,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    complianceRelevant: row.compliance_relevant,
    createdAt: row.created_at,
  };
}

/**
 * chainBreaks lists every row, by seq, whose prev_hash is not its predecessor's hash (genesis for
 * the first) or whose hash does not match its own content.
 */
function chainBreaks(rows: AuditRow[]): Array<{ seq: string; problem: string }> {
  const breaks: Array<{ seq: string; problem: string }> = [];
  let expectedPrev = GENESIS_HASH;
  for (const row of rows) {
    if (!Buffer.from(row.prev_hash).equals(expectedPrev)) breaks.push({ seq: row.seq, problem: "prev_hash is not the previous row's hash" });
    if (!Buffer.from(row.hash).equals(auditHash(Buffer.from(row.prev_hash), toRecord(row)))) breaks.push({ seq: row.seq, problem: "hash does not match the row" });
    expectedPrev = Buffer.from(row.hash);
  }
  return breaks;
}

describeWithServices("audit trail", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "1000" } });
  });
  afterAll(() => t?.close());

  const allRows = () => t.db.selectFrom("audit_trail").selectAll().orderBy("seq", "asc").execute();

  /** Writes rows of every shape the service produces: with and without actor, values, reason, address. */
  async function recordVariedEvents(): Promise<void> {
    const user = await registerUser(t);
    await profileClient(t, user.accessToken).updateProfile({ fullName: "Changed Name" });
    await registerWithRole(t, "support");
    await authClient(t, user.accessToken).logout({});
  }

  describe("hash chain", () => {
    it("links every row to the one before it and hashes each row's stored content", async () => {
      await recordVariedEvents();

      const rows = await allRows();

      expect(rows.length).toBeGreaterThanOrEqual(5);
      // The suite's database is fresh, so the chain starts at genesis.
      expect(Buffer.from(rows[0]!.prev_hash).equals(GENESIS_HASH)).toBe(true);
      expect(new Set(rows.map((r) => r.action))).toEqual(new Set(["user.register", "profile.update", "platform_role.grant", "auth.logout"]));
      expect(chainBreaks(rows)).toEqual([]);
    });

    it("stays one unbroken chain when registrations run concurrently", async () => {
      const before = (await allRows()).length;

      await Promise.all(Array.from({ length: 10 }, () => registerUser(t)));

      const rows = await allRows();
      expect(rows.length - before).toBe(10);
      expect(chainBreaks(rows)).toEqual([]);
      // Two writers that read the same last row would both chain to it.
      const prevHashes = rows.map((r) => Buffer.from(r.prev_hash).toString("hex"));
      expect(new Set(prevHashes).size).toBe(rows.length);
    });
  });

  describe("append-only", () => {
    // The trigger raises insufficient_privilege, as opposed to a query that failed for another reason.
    const refusedByTrigger = { code: "42501" };

    it("refuses UPDATE, DELETE and TRUNCATE and leaves the rows as they were", async () => {
      await registerUser(t);
      const before = await allRows();

      await expect(sql`update audit_trail set reason = 'tampered'`.execute(t.db)).rejects.toMatchObject(refusedByTrigger);
      await expect(sql`delete from audit_trail`.execute(t.db)).rejects.toMatchObject(refusedByTrigger);
      await expect(sql`truncate audit_trail`.execute(t.db)).rejects.toMatchObject(refusedByTrigger);

      expect(await allRows()).toEqual(before);
    });
  });
});
