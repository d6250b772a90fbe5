import { sql, type Kysely } from "kysely";

// Users, their credentials, sessions with rotating refresh tokens, platform role grants, the
// append-only audit trail and the transactional outbox. Constraints live here, not only in code.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("full_name", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("verification_status", "text", (c) => c.notNull())
    .addColumn("registration_type", "text", (c) => c.notNull())
    .addColumn("investment_profile", "text", (c) => c.notNull())
    .addColumn("risk_tolerance", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint("users_email_normalised", sql`email = lower(btrim(email)) and length(email) between 3 and 254`)
    .addCheckConstraint("users_full_name_length", sql`length(full_name) between 1 and 200`)
    .addCheckConstraint(
      "users_status_known",
      sql`status in ('active', 'suspended', 'locked', 'deactivated', 'pending_verification')`,
    )
    .addCheckConstraint(
      "users_verification_status_known",
      sql`verification_status in ('pending', 'verified', 'requires_additional_verification')`,
    )
    .addCheckConstraint(
      "users_registration_type_known",
      sql`registration_type in ('email', 'google', 'apple', 'enterprise')`,
    )
    .addCheckConstraint(
      "users_investment_profile_known",
      sql`investment_profile in ('conservative', 'moderate', 'aggressive')`,
    )
    .addCheckConstraint("users_risk_tolerance_known", sql`risk_tolerance in ('low', 'medium', 'high')`)
    .execute();
  await sql`create unique index users_email_unique on users (lower(email))`.execute(db);

  await db.schema
    .createTable("credentials")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("password_hash", "text")
    .addColumn("oidc_issuer", "text")
    .addColumn("oidc_subject", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      "credentials_kind_shape",
      sql`(kind = 'password' and password_hash like '$argon2id$%' and oidc_issuer is null and oidc_subject is null)
       or (kind = 'oidc' and password_hash is null and oidc_issuer is not null and oidc_subject is not null)`,
    )
    .execute();
  await sql`create unique index credentials_one_password_per_user on credentials (user_id) where kind = 'password'`.execute(db);
  await sql`create unique index credentials_oidc_identity on credentials (oidc_issuer, oidc_subject) where kind = 'oidc'`.execute(db);

  await db.schema
    .createTable("platform_role_grants")
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("granted_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("platform_role_grants_pk", ["user_id", "role"])
    .addCheckConstraint("platform_role_grants_role_known", sql`role in ('admin', 'compliance_officer', 'support')`)
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("amr", sql`text[]`, (c) => c.notNull())
    .addColumn("ip_address", "text")
    .addColumn("user_agent", "text")
    .addColumn("device_id", "text")
    .addColumn("device_name", "text")
    .addColumn("app_version", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_seen_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("revoked_at", "timestamptz")
    .addColumn("revoke_reason", "text")
    .addCheckConstraint("sessions_revocation_has_reason", sql`(revoked_at is null) = (revoke_reason is null)`)
    .addCheckConstraint("sessions_expiry_after_creation", sql`expires_at > created_at`)
    .execute();
  await db.schema.createIndex("sessions_user").on("sessions").columns(["user_id", "created_at"]).execute();

  await db.schema
    .createTable("refresh_tokens")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("session_id", "uuid", (c) => c.notNull().references("sessions.id").onDelete("cascade"))
    .addColumn("token_hash", "bytea", (c) => c.notNull().unique())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("used_at", "timestamptz")
    .addCheckConstraint("refresh_tokens_hash_length", sql`length(token_hash) = 32`)
    .execute();
  await db.schema.createIndex("refresh_tokens_session").on("refresh_tokens").column("session_id").execute();

  // Append-only: each row carries the hash of the row before it, so any edit breaks the chain.
  await db.schema
    .createTable("audit_trail")
    .addColumn("seq", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("id", "uuid", (c) => c.notNull().unique())
    .addColumn("actor_user_id", "uuid")
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("resource_type", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("organization_id", "uuid")
    .addColumn("old_values", "jsonb")
    .addColumn("new_values", "jsonb")
    .addColumn("reason", "text")
    .addColumn("ip_address", "text")
    .addColumn("user_agent", "text")
    .addColumn("compliance_relevant", "boolean", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("prev_hash", "bytea", (c) => c.notNull())
    .addColumn("hash", "bytea", (c) => c.notNull())
    .addCheckConstraint("audit_trail_hash_lengths", sql`length(prev_hash) = 32 and length(hash) = 32`)
    .execute();
  await db.schema.createIndex("audit_trail_resource").on("audit_trail").columns(["resource_type", "resource_id", "seq"]).execute();
  await db.schema.createIndex("audit_trail_actor").on("audit_trail").columns(["actor_user_id", "seq"]).execute();
  await sql`
    create function audit_trail_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_trail is append-only' using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger audit_trail_append_only before update or delete on audit_trail
    for each row execute function audit_trail_refuse_change()`.execute(db);
  await sql`create trigger audit_trail_no_truncate before truncate on audit_trail
    for each statement execute function audit_trail_refuse_change()`.execute(db);

  // Jobs are written here in the same transaction as the change that causes them, then relayed.
  await db.schema
    .createTable("outbox")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("job_name", "text", (c) => c.notNull())
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("dispatched_at", "timestamptz")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .execute();
  await sql`create index outbox_pending on outbox (created_at) where dispatched_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["outbox", "audit_trail", "refresh_tokens", "sessions", "platform_role_grants", "credentials", "users"]) {
    await db.schema.dropTable(table).execute();
  }
  await sql`drop function audit_trail_refuse_change()`.execute(db);
}
