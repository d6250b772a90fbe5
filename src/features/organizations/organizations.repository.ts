import { sql, type Insertable, type Selectable } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import type { DepartmentValue, OrganizationMembersTable, OrganizationsTable } from "../../db/tables/organizations.js";
import type { PagePosition } from "../../shared/page-token.js";
import type { OrganizationRole } from "../authorization/index.js";

/** OrganizationRow is a stored organization with how many members it has. */
export type OrganizationRow = Selectable<OrganizationsTable> & { member_count: number };

/** MemberRow is a stored membership. */
export type MemberRow = Selectable<OrganizationMembersTable>;

/** MembershipRow is an organization a user belongs to, with their role there and when they joined. */
export type MembershipRow = OrganizationRow & { role: OrganizationRole; joined_at: Date };

/** insertOrganization stores a new organization; the unique name refuses a taken one (organizations_name_key). */
export async function insertOrganization(trx: Tx, organization: Insertable<OrganizationsTable>): Promise<Selectable<OrganizationsTable>> {
  return trx.insertInto("organizations").values(organization).returningAll().executeTakeFirstOrThrow();
}

/** insertMember makes a user a member of an organization. */
export async function insertMember(trx: Tx, member: Insertable<OrganizationMembersTable>): Promise<MemberRow> {
  return trx.insertInto("organization_members").values(member).returningAll().executeTakeFirstOrThrow();
}

/** organizationsWithCount selects organizations with how many members each has. */
function organizationsWithCount(db: DbOrTx) {
  return db
    .selectFrom("organizations")
    .selectAll("organizations")
    .select((eb) =>
      eb
        .selectFrom("organization_members as counted")
        .select(eb.fn.countAll<string>().as("count"))
        .whereRef("counted.organization_id", "=", "organizations.id")
        .as("member_count"),
    );
}

const withCount = <Row extends { member_count: string | null }>(row: Row) => ({ ...row, member_count: Number(row.member_count ?? 0) });

/** findOrganization reads an organization; undefined when there is none. */
export async function findOrganization(db: DbOrTx, organizationId: string): Promise<OrganizationRow | undefined> {
  const row = await organizationsWithCount(db).where("organizations.id", "=", organizationId).executeTakeFirst();
  return row && withCount(row);
}

/**
 * lockOrganization locks the organization's row until trx ends, so changes to its members (roles,
 * managers, removals) take turns: the last-admin and manager-loop checks then read members no
 * concurrent change can alter. False when there is no such organization.
 */
export async function lockOrganization(trx: Tx, organizationId: string): Promise<boolean> {
  const row = await trx.selectFrom("organizations").select("id").where("id", "=", organizationId).forUpdate().executeTakeFirst();
  return row !== undefined;
}

/** findMembershipsOf pages through the organizations the user belongs to, in the order they joined, after the given position. */
export async function findMembershipsOf(db: DbOrTx, userId: string, limit: number, after?: PagePosition): Promise<MembershipRow[]> {
  let query = organizationsWithCount(db)
    .innerJoin("organization_members as membership", "membership.organization_id", "organizations.id")
    .select(["membership.role", "membership.joined_at"])
    .where("membership.user_id", "=", userId);
  if (after) query = query.where(sql<boolean>`(membership.joined_at, membership.organization_id) > (${after.at}, ${after.id})`);
  const rows = await query.orderBy("membership.joined_at").orderBy("membership.organization_id").limit(limit).execute();
  return rows.map(withCount);
}

/** findRole is the user's role in the organization; undefined when they are not a member. */
export async function findRole(db: DbOrTx, userId: string, organizationId: string): Promise<OrganizationRole | undefined> {
  const row = await db
    .selectFrom("organization_members")
    .select("role")
    .where("organization_id", "=", organizationId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row?.role;
}

/** findMember reads one membership; undefined when the user is not a member. */
export function findMember(db: DbOrTx, organizationId: string, userId: string): Promise<MemberRow | undefined> {
  return db.selectFrom("organization_members").selectAll().where("organization_id", "=", organizationId).where("user_id", "=", userId).executeTakeFirst();
}

/** findMembers pages through an organization's members in the order they joined, after the given position. */
export function findMembers(db: DbOrTx, organizationId: string, limit: number, after?: PagePosition): Promise<MemberRow[]> {
  let query = db.selectFrom("organization_members").selectAll().where("organization_id", "=", organizationId);
  if (after) query = query.where(sql<boolean>`(joined_at, user_id) > (${after.at}, ${after.id})`);
  return query.orderBy("joined_at").orderBy("user_id").limit(limit).execute();
}

/**
 * isManagedBy says whether managerId is above userId in the organization's manager chain: their
 * manager, their manager's manager, and so on. UNION (not UNION ALL) ends the walk on a loop.
 */
export async function isManagedBy(db: DbOrTx, organizationId: string, userId: string, managerId: string): Promise<boolean> {
  const { rows } = await sql<{ found: number }>`
    with recursive chain (user_id, manager_user_id) as (
      select user_id, manager_user_id from organization_members where organization_id = ${organizationId} and user_id = ${userId}
      union
      select m.user_id, m.manager_user_id from organization_members m join chain on m.user_id = chain.manager_user_id
      where m.organization_id = ${organizationId}
    )
    select 1 as found from chain where manager_user_id = ${managerId} limit 1`.execute(db);
  return rows.length > 0;
}

/** memberIdsOf is a subquery of the ids of the organization's members, for other areas' queries to filter by. */
export function memberIdsOf(db: DbOrTx, organizationId: string) {
  return db.selectFrom("organization_members").select("organization_members.user_id").where("organization_members.organization_id", "=", organizationId);
}

/** MemberIds is the subquery memberIdsOf makes. */
export type MemberIds = ReturnType<typeof memberIdsOf>;

/** countAdmins counts the organization's admins. */
export async function countAdmins(db: DbOrTx, organizationId: string): Promise<number> {
  const { count } = await db
    .selectFrom("organization_members")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("organization_id", "=", organizationId)
    .where("role", "=", "admin")
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** MemberChanges are the fields of a membership to change; undefined leaves a field as it is, null clears it. */
export interface MemberChanges {
  role?: OrganizationRole;
  department?: DepartmentValue | null;
  managerUserId?: string | null;
}

/** updateMember applies the changes to a membership and returns it as it now is. */
export function updateMember(trx: Tx, organizationId: string, userId: string, changes: MemberChanges): Promise<MemberRow> {
  return trx
    .updateTable("organization_members")
    .set({
      ...(changes.role !== undefined && { role: changes.role }),
      ...(changes.department !== undefined && { department: changes.department }),
      ...(changes.managerUserId !== undefined && { manager_user_id: changes.managerUserId }),
    })
    .where("organization_id", "=", organizationId)
    .where("user_id", "=", userId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** deleteMember ends a membership; the members they managed are left without a manager (the foreign key's ON DELETE). */
export async function deleteMember(trx: Tx, organizationId: string, userId: string): Promise<void> {
  await trx.deleteFrom("organization_members").where("organization_id", "=", organizationId).where("user_id", "=", userId).execute();
}

/** findReportIds lists the members whose direct manager is managerId, for the audit of a removal that leaves them without one. */
export async function findReportIds(db: DbOrTx, organizationId: string, managerId: string): Promise<string[]> {
  const rows = await db.selectFrom("organization_members").select("user_id").where("organization_id", "=", organizationId).where("manager_user_id", "=", managerId).execute();
  return rows.map((row) => row.user_id);
}
