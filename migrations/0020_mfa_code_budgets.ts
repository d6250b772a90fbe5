import { sql, type Kysely } from "kysely";

// Each user's budget of wrong second-factor codes, held beside the challenges it guards: a code is
// judged under this row's lock in the transaction that claims its challenge, so the count is exact
// across replicas and concurrent codes of one user are judged one at a time.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("mfa_code_budgets")
    .addColumn("user_id", "uuid", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
    // Wrong codes since window_started_at; the window restarts once it has ended.
    .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("window_started_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint("mfa_code_budgets_failures_not_negative", sql`failures >= 0`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("mfa_code_budgets").execute();
}
