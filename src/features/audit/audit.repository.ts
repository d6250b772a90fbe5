import { sql } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import { auditHash, GENESIS_HASH, type AuditRecord } from "./audit-hash.js";

// One advisory lock orders all writers of the chain; held from here until the transaction ends.
const AUDIT_CHAIN_LOCK = 0x5a0d17;

/**
 * insertChained appends a row to the audit trail, chained to the current last row. Call it as the
 * last statement of the transaction: the chain lock is held until commit.
 */
export async function insertChained(trx: Tx, record: AuditRecord): Promise<void> {
  await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(trx);
  const last = await trx.selectFrom("audit_trail").select("hash").orderBy("seq", "desc").limit(1).executeTakeFirst();
  const prevHash = last ? Buffer.from(last.hash) : GENESIS_HASH;
  await trx
    .insertInto("audit_trail")
    .values({
      id: record.id,
      actor_user_id: record.actorUserId,
      action: record.action,
      resource_type: record.resourceType,
      resource_id: record.resourceId,
      organization_id: record.organizationId,
      old_values: record.oldValues === null ? null : JSON.stringify(record.oldValues),
      new_values: record.newValues === null ? null : JSON.stringify(record.newValues),
      reason: record.reason,
      ip_address: record.ipAddress,
      user_agent: record.userAgent,
      compliance_relevant: record.complianceRelevant,
      created_at: record.createdAt,
      prev_hash: prevHash,
      hash: auditHash(prevHash, record),
    })
    .execute();
}

/** countEventsSince counts the audit entries of these actions about or by a user since a time. */
export async function countEventsSince(db: DbOrTx, userId: string, actions: readonly string[], since: Date): Promise<number> {
  const row = await db
    .selectFrom("audit_trail")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("action", "in", actions)
    .where("created_at", ">=", since)
    .where((eb) => eb.or([eb("resource_id", "=", userId), eb("actor_user_id", "=", userId)]))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
