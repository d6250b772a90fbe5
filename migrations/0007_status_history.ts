import { sql, type Kysely } from "kysely";

// Every change of an account's lifecycle status, and how long a lock lasts.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("users").addColumn("locked_until", "timestamptz").execute();
  await sql`alter table users add constraint users_locked_until_only_when_locked check (locked_until is null or status = 'locked')`.execute(db);

  await db.schema
    .createTable("user_status_history")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("previous_status", "text")
    .addColumn("new_status", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("changed_by", "uuid", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("locked_until", "timestamptz")
    .addColumn("created_at", sql`timestamptz(3)`, (c) => c.notNull())
    .addCheckConstraint(
      "user_status_history_statuses_known",
      sql`new_status in ('active', 'suspended', 'locked', 'deactivated', 'pending_verification')
        and (previous_status is null or previous_status in ('active', 'suspended', 'locked', 'deactivated', 'pending_verification'))`,
    )
    .execute();
  // ListStatusHistory pages through a user's changes, newest first.
  await sql`create index user_status_history_by_user on user_status_history (user_id, created_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("user_status_history").execute();
  await sql`alter table users drop constraint users_locked_until_only_when_locked`.execute(db);
  await db.schema.alterTable("users").dropColumn("locked_until").execute();
}
