import type { Kysely } from "kysely";

// Risk scoring: when a user was last scored, and the security protocols of a high-risk episode,
// each run once: the alert, the temporary lock, and the step-up flag (cleared by a KYC decision).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("compliance_profiles")
    .addColumn("scored_at", "timestamptz")
    .addColumn("high_risk_since", "timestamptz")
    .addColumn("alerted_at", "timestamptz")
    .addColumn("locked_at", "timestamptz")
    .addColumn("step_up_at", "timestamptz")
    .addColumn("step_up_required", "boolean", (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ["scored_at", "high_risk_since", "alerted_at", "locked_at", "step_up_at", "step_up_required"]) {
    await db.schema.alterTable("compliance_profiles").dropColumn(column).execute();
  }
}
