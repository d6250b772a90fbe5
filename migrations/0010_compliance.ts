import { sql, type Kysely } from "kysely";

// A user's compliance profile: the outcome of identity verification and screening, the risk
// assessment with its factors, and whether a compliance officer must review the user. Created by
// the first identity verification; users verified before it exists read as never screened.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("compliance_profiles")
    .addColumn("user_id", "uuid", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
    .addColumn("kyc_status", "text", (c) => c.notNull().defaultTo("not_started"))
    .addColumn("kyc_level", "smallint", (c) => c.notNull().defaultTo(0))
    .addColumn("sanctions_status", "text", (c) => c.notNull().defaultTo("not_checked"))
    .addColumn("pep_status", "text", (c) => c.notNull().defaultTo("not_checked"))
    // The listed names a screening matched, with their scores, for the officer who reviews them.
    .addColumn("screening_matches", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("last_screened_at", "timestamptz")
    .addColumn("verification_reasons", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("verified_by", "text")
    .addColumn("risk_score", "smallint", (c) => c.notNull().defaultTo(0))
    .addColumn("risk_factors", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("edd_required", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("review_reason", "text")
    .addColumn("review_requested_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addCheckConstraint("compliance_profiles_kyc_status_known", sql`kyc_status in ('not_started', 'pending', 'approved', 'rejected', 'expired')`)
    .addCheckConstraint("compliance_profiles_kyc_level_range", sql`kyc_level between 0 and 3`)
    .addCheckConstraint(
      "compliance_profiles_sanctions_status_known",
      sql`sanctions_status in ('not_checked', 'pending', 'clear', 'potential_match', 'confirmed_match')`,
    )
    .addCheckConstraint("compliance_profiles_pep_status_known", sql`pep_status in ('not_checked', 'pending', 'not_pep', 'pep', 'related')`)
    .addCheckConstraint("compliance_profiles_risk_score_range", sql`risk_score between 0 and 100`)
    .addCheckConstraint("compliance_profiles_review_has_reason", sql`(review_requested_at is null) = (review_reason is null)`)
    .execute();
  // The review queue: profiles waiting for a compliance officer, oldest first.
  await sql`create index compliance_profiles_in_review on compliance_profiles (review_requested_at) where review_requested_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("compliance_profiles").execute();
}
