import { sql, type Kysely } from "kysely";

// Background jobs: when an outbox row may next be taken (a claim's lease or a retry's back-off),
// and the jobs that failed for good, kept with their error until an operator re-queues them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("outbox").addColumn("available_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`)).execute();
  await sql`drop index outbox_pending`.execute(db);
  await sql`create index outbox_pending on outbox (available_at) where dispatched_at is null`.execute(db);

  await db.schema
    .createTable("dead_letters")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("job_name", "text", (c) => c.notNull())
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("error", "text", (c) => c.notNull())
    .addColumn("failed_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("requeued_at", "timestamptz")
    .addColumn("requeued_as", "uuid")
    .execute();
  await sql`create index dead_letters_waiting on dead_letters (failed_at) where requeued_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("dead_letters").execute();
  await sql`drop index outbox_pending`.execute(db);
  await db.schema.alterTable("outbox").dropColumn("available_at").execute();
  await sql`create index outbox_pending on outbox (created_at) where dispatched_at is null`.execute(db);
}
