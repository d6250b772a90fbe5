import { sql, type Kysely } from "kysely";

// Invitations to organizations, and the member requests that wait for approval: joins in an
// organization that requires approval, and admin or compliance grants (four-eyes).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("organizations")
    .addColumn("requires_approval", "boolean", (c) => c.notNull().defaultTo(false))
    .execute();

  await db.schema
    .createTable("organization_invitations")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("organization_id", "uuid", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("department", "text")
    .addColumn("manager_user_id", "uuid")
    .addColumn("token_hash", "bytea", (c) => c.notNull().unique())
    .addColumn("invited_by", "uuid", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
    .addColumn("created_at", sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn("expires_at", sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn("accepted_by", "uuid", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("accepted_at", sql`timestamptz(3)`)
    .addCheckConstraint("organization_invitations_email_normalised", sql`email = lower(btrim(email))`)
    .addCheckConstraint("organization_invitations_role_known", sql`role in ('admin', 'manager', 'trader', 'viewer', 'compliance')`)
    .addCheckConstraint("organization_invitations_department_known", sql`department in ('trading', 'compliance', 'risk', 'operations')`)
    .addCheckConstraint("organization_invitations_status_known", sql`status in ('pending', 'accepted', 'replaced')`)
    .addCheckConstraint("organization_invitations_expiry_after_creation", sql`expires_at > created_at`)
    .execute();
  // The invitee's manager stays a member of the organization, or the invitation loses them.
  await sql`alter table organization_invitations add constraint organization_invitations_manager_is_member
    foreign key (organization_id, manager_user_id) references organization_members (organization_id, user_id)
    on delete set null (manager_user_id)`.execute(db);
  // One pending invitation per address and organization: a new one replaces it.
  await sql`create unique index organization_invitations_one_pending on organization_invitations (organization_id, email) where status = 'pending'`.execute(db);

  await db.schema
    .createTable("organization_member_requests")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("organization_id", "uuid", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("department", "text")
    .addColumn("manager_user_id", "uuid")
    .addColumn("requested_by", "uuid", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("invitation_id", "uuid", (c) => c.references("organization_invitations.id").onDelete("set null"))
    .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
    .addColumn("created_at", sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn("decided_by", "uuid", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("decided_at", sql`timestamptz(3)`)
    .addColumn("reason", "text")
    .addCheckConstraint("organization_member_requests_kind_known", sql`kind in ('join', 'role_grant')`)
    .addCheckConstraint("organization_member_requests_role_known", sql`role in ('admin', 'manager', 'trader', 'viewer', 'compliance')`)
    .addCheckConstraint("organization_member_requests_department_known", sql`department in ('trading', 'compliance', 'risk', 'operations')`)
    .addCheckConstraint("organization_member_requests_status_known", sql`status in ('pending', 'approved', 'rejected')`)
    .execute();
  // One pending request of a kind per person and organization; ListMemberRequests pages the pending ones, oldest first.
  await sql`create unique index organization_member_requests_one_pending on organization_member_requests (organization_id, user_id, kind) where status = 'pending'`.execute(db);
  await sql`create index organization_member_requests_pending on organization_member_requests (organization_id, created_at, id) where status = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("organization_member_requests").execute();
  await db.schema.dropTable("organization_invitations").execute();
  await db.schema.alterTable("organizations").dropColumn("requires_approval").execute();
}
