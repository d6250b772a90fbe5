import { sql, type Kysely } from "kysely";

// Organizations (the tenants) and their members: each with a role, a department and a manager who
// is a member of the same organization.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("organizations")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("organization_type", "text", (c) => c.notNull())
    .addColumn("subscription_tier", "text", (c) => c.notNull())
    .addColumn("created_by", "uuid", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint("organizations_name_shape", sql`name ~ '^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$'`)
    .addCheckConstraint("organizations_display_name_length", sql`length(display_name) between 1 and 200`)
    .addCheckConstraint(
      "organizations_type_known",
      sql`organization_type in ('corporate', 'hedge_fund', 'asset_manager', 'family_office', 'broker_dealer', 'other', 'trading_firm')`,
    )
    .addCheckConstraint("organizations_tier_known", sql`subscription_tier in ('free', 'professional', 'enterprise')`)
    .execute();

  await db.schema
    .createTable("organization_members")
    .addColumn("organization_id", "uuid", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("department", "text")
    .addColumn("manager_user_id", "uuid")
    // Milliseconds, as page tokens carry them: a finer time would repeat a row on the next page.
    .addColumn("joined_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("organization_members_pk", ["organization_id", "user_id"])
    .addCheckConstraint("organization_members_role_known", sql`role in ('admin', 'manager', 'trader', 'viewer', 'compliance')`)
    .addCheckConstraint("organization_members_department_known", sql`department in ('trading', 'compliance', 'risk', 'operations')`)
    .addCheckConstraint("organization_members_not_own_manager", sql`manager_user_id <> user_id`)
    .execute();
  // A manager is a member of the same organization; removing them leaves their reports without one.
  await sql`alter table organization_members add constraint organization_members_manager_is_member
    foreign key (organization_id, manager_user_id) references organization_members (organization_id, user_id)
    on delete set null (manager_user_id)`.execute(db);
  // The organizations of a user (GetProfile, ListOrganizations, every membership lookup), and an
  // organization's members in the order they joined (ListMembers).
  await sql`create index organization_members_by_user on organization_members (user_id, joined_at, organization_id)`.execute(db);
  await sql`create index organization_members_by_join on organization_members (organization_id, joined_at, user_id)`.execute(db);
  await sql`create index organization_members_by_manager on organization_members (organization_id, manager_user_id) where manager_user_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("organization_members").execute();
  await db.schema.dropTable("organizations").execute();
}
