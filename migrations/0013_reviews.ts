import { sql, type Kysely } from "kysely";

// Periodic reviews: the risk score a compliance officer last reviewed (a rating risen since opens a
// review), and when each recurring job is next due, shared by every process that schedules them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("compliance_profiles").addColumn("reviewed_risk_score", "smallint").execute();
  await sql`update compliance_profiles set reviewed_risk_score = risk_score`.execute(db);
  await db.schema
    .createTable("job_schedules")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("next_run_at", "timestamptz", (c) => c.notNull())
    .execute();
  // The sweep looks for profiles due for review among those not in review.
  await sql`create index compliance_profiles_review_due on compliance_profiles (next_review_at) where review_requested_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index compliance_profiles_review_due`.execute(db);
  await db.schema.dropTable("job_schedules").execute();
  await db.schema.alterTable("compliance_profiles").dropColumn("reviewed_risk_score").execute();
}
