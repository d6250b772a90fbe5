import { sql, type Insertable, type RawBuilder, type Selectable } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import type { ComplianceProfilesTable, TradingLimitRequestsTable } from "../../db/tables/compliance.js";
import { RISK_BANDS } from "./risk-rating.js";

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

/** ratingBand is a score's risk rating as a number (1 low, 2 medium, 3 high), in SQL, from the same bands as riskRatingOf. */
const ratingBand = (score: RawBuilder<number>) => sql<number>`case when ${score} >= ${RISK_BANDS.high} then 3 when ${score} >= ${RISK_BANDS.medium} then 2 else 1 end`;

/**
 * lockProfilesDueForReview row-locks up to limit profiles not in review whose next review date has
 * passed or whose risk rating rose since the last review, skipping those another sweep holds.
 */
export function lockProfilesDueForReview(trx: Tx, now: Date, limit: number) {
  return trx
    .selectFrom("compliance_profiles")
    .select(["user_id", "next_review_at", "risk_score", "reviewed_risk_score"])
    .where("review_requested_at", "is", null)
    .where((eb) =>
      eb.or([
        eb("next_review_at", "<=", now),
        eb(ratingBand(sql.ref<number>("risk_score")), ">", ratingBand(sql<number>`coalesce(reviewed_risk_score, 0)`)),
      ]),
    )
    .orderBy("next_review_at")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** openReview puts a profile into review for a reason. */
export async function openReview(trx: Tx, userId: string, reason: string, now: Date): Promise<void> {
  await trx.updateTable("compliance_profiles").set({ review_reason: reason, review_requested_at: now, updated_at: now }).where("user_id", "=", userId).execute();
}

/** findStepUp reads whether the user's sign-ins need a second factor whatever the device; undefined without a profile. */
export async function findStepUp(db: DbOrTx, userId: string): Promise<boolean | undefined> {
  const row = await db.selectFrom("compliance_profiles").select("step_up_required").where("user_id", "=", userId).executeTakeFirst();
  return row?.step_up_required;
}

/** countReviewsDueBy counts the profiles not in review whose periodic review falls due by a time. */
export async function countReviewsDueBy(db: DbOrTx, by: Date): Promise<number> {
  const row = await db
    .selectFrom("compliance_profiles")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("review_requested_at", "is", null)
    .where("next_review_at", "<=", by)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** findOldestOpenReview is when the longest-open review was opened, if any is open. */
export async function findOldestOpenReview(db: DbOrTx): Promise<Date | undefined> {
  const row = await db.selectFrom("compliance_profiles").select((eb) => eb.fn.min("review_requested_at").as("oldest")).executeTakeFirstOrThrow();
  return row.oldest ?? undefined;
}
