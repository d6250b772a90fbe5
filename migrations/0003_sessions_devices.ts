import { sql, type Kysely } from "kysely";

// What a session says about its client (browser, OS, device type, where it signed in from) and
// its sign-in risk, and the devices a user trusts to skip the second factor for a while.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("sessions")
    .addColumn("browser", "text")
    .addColumn("os", "text")
    .addColumn("device_type", "text")
    .addColumn("country", "text")
    .addColumn("city", "text")
    .addColumn("latitude", "double precision")
    .addColumn("longitude", "double precision")
    .addColumn("risk_score", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("risk_factors", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await sql`alter table sessions add constraint sessions_device_type_known check (device_type in ('desktop', 'mobile', 'tablet'))`.execute(db);
  await sql`alter table sessions add constraint sessions_risk_score_range check (risk_score between 0 and 100)`.execute(db);
  // ListSessions pages through a user's live sessions, most recently seen first.
  await sql`create index sessions_user_live on sessions (user_id, last_seen_at desc, id desc) where revoked_at is null`.execute(db);

  await db.schema
    .createTable("trusted_devices")
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("trusted_at", "timestamptz", (c) => c.notNull())
    .addColumn("trusted_until", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("trusted_devices_pk", ["user_id", "device_id"])
    .addCheckConstraint("trusted_devices_until_after_at", sql`trusted_until > trusted_at`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("trusted_devices").execute();
  await sql`drop index sessions_user_live`.execute(db);
  for (const column of ["browser", "os", "device_type", "country", "city", "latitude", "longitude", "risk_score", "risk_factors"]) {
    await db.schema.alterTable("sessions").dropColumn(column).execute();
  }
}
