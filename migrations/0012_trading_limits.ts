import { sql, type Kysely } from "kysely";

// Trading limits set for a user (until set, the KYC level's defaults apply), the next periodic
// review, and limit changes waiting for a second compliance officer (four eyes).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("compliance_profiles")
    // Null amounts with limits_set_at: no per-user limit. Null limits_set_at: the KYC level's defaults.
    .addColumn("daily_limit", sql`numeric(19, 4)`)
    .addColumn("position_size_limit", sql`numeric(19, 4)`)
    .addColumn("limits_currency", sql`char(3)`)
    .addColumn("limits_set_at", "timestamptz")
    .addColumn("next_review_at", "timestamptz")
    .execute();
  await sql`alter table compliance_profiles add constraint compliance_profiles_limits_have_currency check ((limits_set_at is null) = (limits_currency is null))`.execute(db);

  await db.schema
    .createTable("trading_limit_requests")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("daily_limit", sql`numeric(19, 4)`)
    .addColumn("position_size_limit", sql`numeric(19, 4)`)
    .addColumn("currency", sql`char(3)`, (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("requested_by", "uuid", (c) => c.notNull().references("users.id"))
    .addColumn("requested_at", "timestamptz", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
    .addColumn("decided_by", "uuid", (c) => c.references("users.id"))
    .addColumn("decided_at", "timestamptz")
    .addColumn("decision_reason", "text")
    .addCheckConstraint("trading_limit_requests_status_known", sql`status in ('pending', 'approved', 'rejected', 'superseded')`)
    .addCheckConstraint("trading_limit_requests_four_eyes", sql`status <> 'approved' or decided_by <> requested_by`)
    .execute();
  // At most one request waits per user: a new one replaces it.
  await sql`create unique index trading_limit_requests_one_pending on trading_limit_requests (user_id) where status = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("trading_limit_requests").execute();
  await sql`alter table compliance_profiles drop constraint compliance_profiles_limits_have_currency`.execute(db);
  for (const column of ["daily_limit", "position_size_limit", "limits_currency", "limits_set_at", "next_review_at"]) {
    await db.schema.alterTable("compliance_profiles").dropColumn(column).execute();
  }
}
