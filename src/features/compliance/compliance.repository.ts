import type { Insertable, Selectable } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import type { ComplianceProfilesTable, TradingLimitRequestsTable } from "../../db/tables/compliance.js";

/** ComplianceProfileRow is a stored compliance profile. */
export type ComplianceProfileRow = Selectable<ComplianceProfilesTable>;

/** findComplianceProfile reads a user's compliance profile; undefined before the first verification. */
export function findComplianceProfile(db: DbOrTx, userId: string): Promise<ComplianceProfileRow | undefined> {
  return db.selectFrom("compliance_profiles").selectAll().where("user_id", "=", userId).executeTakeFirst();
}

/** lockComplianceProfile reads a user's compliance profile and row-locks it until trx ends. */
export function lockComplianceProfile(trx: Tx, userId: string): Promise<ComplianceProfileRow | undefined> {
  return trx.selectFrom("compliance_profiles").selectAll().where("user_id", "=", userId).forUpdate().executeTakeFirst();
}

/** saveComplianceProfile writes a user's compliance profile whole, creating it the first time. */
export async function saveComplianceProfile(trx: Tx, row: Insertable<ComplianceProfilesTable>): Promise<void> {
  const { user_id: _, created_at: __, ...changes } = row;
  await trx
    .insertInto("compliance_profiles")
    .values(row)
    .onConflict((oc) => oc.column("user_id").doUpdateSet(changes))
    .execute();
}

/** TradingLimitRequestRow is a stored request for limits. */
export type TradingLimitRequestRow = Selectable<TradingLimitRequestsTable>;

/** findPendingLimitRequest reads the request for limits waiting for a user's approval, if any. */
export function findPendingLimitRequest(db: DbOrTx, userId: string): Promise<TradingLimitRequestRow | undefined> {
  return db.selectFrom("trading_limit_requests").selectAll().where("user_id", "=", userId).where("status", "=", "pending").executeTakeFirst();
}

/** findLimitRequest reads a request for limits. */
export function findLimitRequest(db: DbOrTx, id: string): Promise<TradingLimitRequestRow | undefined> {
  return db.selectFrom("trading_limit_requests").selectAll().where("id", "=", id).executeTakeFirst();
}

/** lockLimitRequest reads a request for limits and row-locks it until trx ends, so two officers cannot both decide it. */
export function lockLimitRequest(trx: Tx, id: string): Promise<TradingLimitRequestRow | undefined> {
  return trx.selectFrom("trading_limit_requests").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

/** supersedePendingLimitRequest marks the user's waiting request, if any, replaced; it returns its id. */
export async function supersedePendingLimitRequest(trx: Tx, userId: string, now: Date): Promise<string | undefined> {
  const row = await trx
    .updateTable("trading_limit_requests")
    .set({ status: "superseded", decided_at: now })
    .where("user_id", "=", userId)
    .where("status", "=", "pending")
    .returning("id")
    .executeTakeFirst();
  return row?.id;
}

/** insertLimitRequest records a request for limits waiting for approval. */
export function insertLimitRequest(trx: Tx, request: Insertable<TradingLimitRequestsTable>): Promise<TradingLimitRequestRow> {
  return trx.insertInto("trading_limit_requests").values(request).returningAll().executeTakeFirstOrThrow();
}

/** decideLimitRequest records an officer's decision on a request. */
export async function decideLimitRequest(trx: Tx, id: string, decision: { status: "approved" | "rejected"; decidedBy: string; reason: string; now: Date }): Promise<void> {
  await trx
    .updateTable("trading_limit_requests")
    .set({ status: decision.status, decided_by: decision.decidedBy, decided_at: decision.now, decision_reason: decision.reason })
    .where("id", "=", id)
    .execute();
}
