import { sql, type Kysely } from "kysely";

// Second factors: TOTP and SMS methods with their secrets sealed (AES-256-GCM, see FieldCipher),
// backup codes and SMS codes as hashes, and the challenges that hold a sign-in between its two factors.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("mfa_methods")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    // Sealed with the data encryption key; never in clear.
    .addColumn("secret_sealed", "text")
    .addColumn("phone_sealed", "text")
    // The last TOTP time step accepted: a code of that step or earlier is a replay.
    .addColumn("last_accepted_step", "bigint")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("activated_at", "timestamptz")
    .addColumn("last_used_at", "timestamptz")
    .addCheckConstraint("mfa_methods_kind_known", sql`kind in ('totp', 'sms')`)
    .addCheckConstraint("mfa_methods_status_known", sql`status in ('pending', 'active')`)
    .addCheckConstraint("mfa_methods_activation", sql`(status = 'active') = (activated_at is not null)`)
    .addCheckConstraint("mfa_methods_totp_secret", sql`(kind = 'totp') = (secret_sealed is not null)`)
    .addCheckConstraint("mfa_methods_sms_phone", sql`(kind = 'sms') = (phone_sealed is not null)`)
    // VerifyMfa and CompleteMfaChallenge name a kind, not a method: one method of each kind per user.
    .addUniqueConstraint("mfa_methods_one_per_kind", ["user_id", "kind"])
    .execute();

  await db.schema
    .createTable("mfa_backup_codes")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("code_hash", "bytea", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("used_at", "timestamptz")
    .addCheckConstraint("mfa_backup_codes_hash_length", sql`length(code_hash) = 32`)
    .addUniqueConstraint("mfa_backup_codes_unique", ["user_id", "code_hash"])
    .execute();

  await db.schema
    .createTable("mfa_challenges")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    // The factor already proven ("pwd", "fed") and the client that proved it.
    .addColumn("first_factor", sql`text[]`, (c) => c.notNull())
    .addColumn("client_binding", "bytea", (c) => c.notNull())
    .addColumn("device_id", "text")
    .addColumn("device_name", "text")
    .addColumn("user_agent", "text")
    .addColumn("app_version", "text")
    .addColumn("ip_address", "text")
    .addColumn("methods", sql`text[]`, (c) => c.notNull())
    .addColumn("failed_attempts", "integer", (c) => c.notNull().defaultTo(0))
    // The sign-in's risk, carried to the session the challenge opens.
    .addColumn("risk_score", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("risk_factors", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("completed_at", "timestamptz")
    .addCheckConstraint("mfa_challenges_binding_length", sql`length(client_binding) = 32`)
    .addCheckConstraint("mfa_challenges_expiry_after_creation", sql`expires_at > created_at`)
    .execute();
  await db.schema.createIndex("mfa_challenges_user").on("mfa_challenges").columns(["user_id", "created_at"]).execute();

  // SMS codes, for enrolling a phone (no challenge) or answering a sign-in challenge: keyed hashes only.
  await db.schema
    .createTable("mfa_sms_codes")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("method_id", "uuid", (c) => c.notNull().references("mfa_methods.id").onDelete("cascade"))
    .addColumn("challenge_id", "uuid", (c) => c.references("mfa_challenges.id").onDelete("cascade"))
    .addColumn("code_hash", "bytea", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("used_at", "timestamptz")
    .addCheckConstraint("mfa_sms_codes_hash_length", sql`length(code_hash) = 32`)
    .execute();
  await db.schema.createIndex("mfa_sms_codes_method").on("mfa_sms_codes").columns(["method_id", "challenge_id"]).execute();

  // When the session last passed a second factor: step-up for MFA changes asks for a recent one.
  await db.schema.alterTable("sessions").addColumn("second_factor_at", "timestamptz").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("sessions").dropColumn("second_factor_at").execute();
  for (const table of ["mfa_sms_codes", "mfa_challenges", "mfa_backup_codes", "mfa_methods"]) await db.schema.dropTable(table).execute();
}
