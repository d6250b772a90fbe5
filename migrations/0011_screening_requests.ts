import type { Kysely } from "kysely";

// The screening a compliance officer queued for a user (ScreenUser) and not yet finished: a second
// request while it waits reuses it, and the job that finds itself no longer awaited does nothing.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("compliance_profiles").addColumn("pending_screening_id", "uuid").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("compliance_profiles").dropColumn("pending_screening_id").execute();
}
