import { sql, type Kysely } from "kysely";

// A user's onboarding, one row per user, started at registration. Users who signed up before
// onboarding existed start it at their sign-up with the default 30 days, keeping what already
// happened: an active MFA method, and an e-mail address a federated sign-in vouched for.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("onboardings")
    .addColumn("user_id", "uuid", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
    .addColumn("started_at", "timestamptz", (c) => c.notNull())
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("completed_at", "timestamptz")
    .addColumn("steps", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("events", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addCheckConstraint("onboardings_steps_is_object", sql`jsonb_typeof(steps) = 'object'`)
    .addCheckConstraint("onboardings_events_is_object", sql`jsonb_typeof(events) = 'object'`)
    .execute();
  await sql`
    insert into onboardings (user_id, started_at, expires_at, events)
    select u.id, u.created_at, u.created_at + interval '30 days',
      jsonb_strip_nulls(jsonb_build_object(
        'mfa_enabled', (select to_jsonb(min(m.activated_at)) from mfa_methods m where m.user_id = u.id and m.activated_at is not null),
        'email_verified', (select to_jsonb(min(c.created_at)) from credentials c where c.user_id = u.id and c.kind = 'oidc')))
    from users u`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("onboardings").execute();
}
