import type { Db, Tx } from "../../db/database.js";
import type { DepartmentValue, OrganizationTypeValue, SubscriptionTierValue } from "../../db/tables/organizations.js";
import { isUniqueViolation } from "../../db/errors.js";
import { afterCommit, transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import { pageOf, readPageToken } from "../../shared/page-token.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { AuditLog } from "../audit/index.js";
import type { OrganizationRole } from "../authorization/index.js";
import { fileRoleGrant } from "./member-requests.js";
import { actingRole, GIVING_ROLES } from "./member-rules.js";
import * as errors from "./organizations.errors.js";
import {
  countAdmins,
  deleteMember,
  findMember,
  findMembers,
  findMembershipsOf,
  findOrganization,
  findReportIds,
  findRole,
  insertMember,
  insertOrganization,
  isManagedBy,
  lockOrganization,
  updateMember,
  type MemberChanges,
  type MemberRow,
  type OrganizationRow,
} from "./organizations.repository.js";

/** OrganizationView is an organization as the API shows it to a caller. */
export interface OrganizationView {
  id: string;
  name: string;
  displayName: string;
  organizationType: OrganizationTypeValue;
  subscriptionTier: SubscriptionTierValue;
  requiresApproval: boolean;
  memberCount: number;
  /** The caller's role; undefined for a caller who reads it through a platform role. */
  callerRole: OrganizationRole | undefined;
  createdAt: Date;
}

/** MemberView is a membership as the API shows it: with the member's e-mail address and name. */
export interface MemberView {
  userId: string;
  email: string;
  fullName: string;
  role: OrganizationRole;
  department: DepartmentValue | null;
  managerUserId: string | null;
  joinedAt: Date;
}

/** NewOrganization is what CreateOrganization asks for. */
export interface NewOrganization {
  name: string;
  displayName: string;
  organizationType: OrganizationTypeValue;
  subscriptionTier: SubscriptionTierValue;
  requiresApproval: boolean;
}

/** Person is what members are shown with. */
export interface Person {
  email: string;
  fullName: string;
}

/**
 * People is what organizations need of the users they list: their e-mail addresses and names, and
 * forgetting a cached profile whose organizations changed.
 */
export interface People {
  /** describe finds the users with these ids; an id with no user is missing from the map. */
  describe(userIds: readonly string[]): Promise<Map<string, Person>>;
  /** idOf finds the user with this e-mail address; undefined when there is none. */
  idOf(email: string): Promise<string | undefined>;
  /** forget drops what is cached of the user's profile. */
  forget(userId: string): Promise<void>;
}

/** OrganizationsDependencies are what Organizations needs. */
export interface OrganizationsDependencies {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  people: People;
}

function organizationView(row: OrganizationRow, callerRole: OrganizationRole | undefined): OrganizationView {
  return {
    id: row.id,
    name: row.name,
    displayName: row.display_name,
    organizationType: row.organization_type,
    subscriptionTier: row.subscription_tier,
    requiresApproval: row.requires_approval,
    memberCount: row.member_count,
    callerRole,
    createdAt: row.created_at,
  };
}

/** memberView shows a membership with the member's e-mail address and name. */
export function memberView(row: MemberRow, person: Person | undefined): MemberView {
  return {
    userId: row.user_id,
    email: person?.email ?? "",
    fullName: person?.fullName ?? "",
    role: row.role,
    department: row.department,
    managerUserId: row.manager_user_id,
    joinedAt: row.joined_at,
  };
}

/** memberValues are the audited fields of a membership. */
const memberValues = (member: MemberRow) => ({ role: member.role, department: member.department, managerUserId: member.manager_user_id });

/**
 * Organizations manages tenants and their members. Whether the caller may call at all is the
 * authorizer's decision (the RPC's rule); what Organizations adds is what depends on the members:
 * managers act only on the members they manage, an organization always keeps an admin, and a chain
 * of managers never loops. Changes to one organization's members take turns on its row lock.
 */
export class Organizations {
  constructor(private readonly deps: OrganizationsDependencies) {}

  /** create makes a new organization with the caller as its first admin. */
  async create(caller: Principal, input: NewOrganization, origin: RequestOrigin): Promise<OrganizationView> {
    const { db, clock, audit, people } = this.deps;
    const now = clock.now();
    try {
      const id = await transaction(db, async (trx) => {
        const organization = await insertOrganization(trx, {
          name: input.name,
          display_name: input.displayName,
          organization_type: input.organizationType,
          subscription_tier: input.subscriptionTier,
          requires_approval: input.requiresApproval,
          created_by: caller.userId,
          created_at: now,
        });
        await insertMember(trx, { organization_id: organization.id, user_id: caller.userId, role: "admin", joined_at: now });
        afterCommit(trx, () => people.forget(caller.userId));
        await audit.record(trx, {
          actorUserId: caller.userId,
          action: "organization.create",
          resourceType: "organization",
          resourceId: organization.id,
          organizationId: organization.id,
          newValues: { ...input, adminUserId: caller.userId },
          origin,
        });
        return organization.id;
      });
      return this.get(caller, id);
    } catch (error) {
      if (isUniqueViolation(error, "organizations_name_key")) throw errors.organizationNameTaken();
      throw error;
    }
  }

  /** listOf pages through the organizations the user belongs to, in the order they joined them. */
  async listOf(userId: string, limit: number, pageToken: string): Promise<{ organizations: OrganizationView[]; nextPageToken: string }> {
    const rows = await findMembershipsOf(this.deps.db, userId, limit + 1, pageToken ? readPageToken(pageToken) : undefined);
    const { page, nextPageToken } = pageOf(rows, limit, (row) => ({ at: row.joined_at, id: row.id }));
    return { organizations: page.map((row) => organizationView(row, row.role)), nextPageToken };
  }

  /** get reads one organization for the caller, with their role in it. */
  async get(caller: Principal, organizationId: string): Promise<OrganizationView> {
    const { db } = this.deps;
    const [row, role] = await Promise.all([findOrganization(db, organizationId), findRole(db, caller.userId, organizationId)]);
    if (!row) throw errors.organizationNotFound();
    return organizationView(row, role);
  }

  /** listMembers pages through the organization's members in the order they joined. */
  async listMembers(organizationId: string, limit: number, pageToken: string): Promise<{ members: MemberView[]; nextPageToken: string }> {
    const { db, people } = this.deps;
    const rows = await findMembers(db, organizationId, limit + 1, pageToken ? readPageToken(pageToken) : undefined);
    if (rows.length === 0 && !pageToken && !(await findOrganization(db, organizationId))) throw errors.organizationNotFound();
    const { page, nextPageToken } = pageOf(rows, limit, (row) => ({ at: row.joined_at, id: row.user_id }));
    const names = await people.describe(page.map((row) => row.user_id));
    return { members: page.map((row) => memberView(row, names.get(row.user_id))), nextPageToken };
  }

  /**
   * updateMember changes a member's role, department or manager. Admins (and platform admins)
   * change anyone; managers only members they manage, to the trader or viewer role, under
   * themselves or one of their subordinates. The last admin keeps the role; a manager must be a
   * member, and never one of the member's own subordinates. Giving the admin or compliance role
   * files a role grant for a second admin to approve (pendingRequestId); the other fields change now.
   */
  async updateMember(
    caller: Principal,
    organizationId: string,
    userId: string,
    changes: MemberChanges,
    origin: RequestOrigin,
  ): Promise<{ member: MemberView; pendingRequestId: string | undefined }> {
    const { db, audit, people, clock } = this.deps;
    const result = await transaction(db, async (trx) => {
      const before = await this.lockedMember(trx, organizationId, userId);
      const acting = await actingRole(trx, caller, organizationId);
      if (acting === "manager") await this.checkManagerChange(trx, caller.userId, organizationId, userId, changes);
      let pendingRequestId: string | undefined;
      const { role, ...otherChanges } = changes;
      if (role !== undefined && role !== before.role && GIVING_ROLES[role].needsSecondAdmin) {
        pendingRequestId = await fileRoleGrant(trx, { organizationId, userId, role, requestedBy: caller.userId, now: clock.now() });
      } else if (role !== undefined && role !== before.role && before.role === "admin" && (await countAdmins(trx, organizationId)) === 1) {
        throw errors.lastAdmin();
      }
      if (changes.managerUserId) await this.checkManager(trx, organizationId, userId, changes.managerUserId);
      const applied = pendingRequestId ? otherChanges : changes;
      const after = Object.values(applied).some((value) => value !== undefined) ? await updateMember(trx, organizationId, userId, applied) : before;
      const [oldValues, newValues] = [memberValues(before), memberValues(after)];
      if (pendingRequestId || JSON.stringify(oldValues) !== JSON.stringify(newValues)) {
        if (after.role !== before.role) afterCommit(trx, () => people.forget(userId));
        await audit.record(trx, {
          actorUserId: caller.userId,
          action: "organization.member_update",
          resourceType: "organization_member",
          resourceId: userId,
          organizationId,
          oldValues,
          newValues: { ...newValues, ...(pendingRequestId && { requestedRole: role, pendingRequestId }) },
          origin,
        });
      }
      return { member: after, pendingRequestId };
    });
    const names = await people.describe([userId]);
    return { member: memberView(result.member, names.get(userId)), pendingRequestId: result.pendingRequestId };
  }

  /** removeMember ends a membership; the members they managed are left without a manager. The last admin stays. */
  async removeMember(caller: Principal, organizationId: string, userId: string, origin: RequestOrigin): Promise<void> {
    const { db, audit, people } = this.deps;
    await transaction(db, async (trx) => {
      const before = await this.lockedMember(trx, organizationId, userId);
      if (before.role === "admin" && (await countAdmins(trx, organizationId)) === 1) throw errors.lastAdmin();
      const reports = await findReportIds(trx, organizationId, userId);
      await deleteMember(trx, organizationId, userId);
      afterCommit(trx, () => people.forget(userId));
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "organization.member_remove",
        resourceType: "organization_member",
        resourceId: userId,
        organizationId,
        oldValues: { ...memberValues(before), reports },
        origin,
      });
    });
  }

  /** lockedMember locks the organization (NOT_FOUND when there is none) and reads the member (NOT_FOUND when not one). */
  private async lockedMember(trx: Tx, organizationId: string, userId: string): Promise<MemberRow> {
    if (!(await lockOrganization(trx, organizationId))) throw errors.organizationNotFound();
    const member = await findMember(trx, organizationId, userId);
    if (!member) throw errors.memberNotFound();
    return member;
  }

  /** checkManagerChange holds a manager to the members they manage and the roles and managers they may give. */
  private async checkManagerChange(trx: Tx, managerId: string, organizationId: string, userId: string, changes: MemberChanges): Promise<void> {
    if (!(await isManagedBy(trx, organizationId, userId, managerId))) throw errors.notASubordinate();
    if (changes.role !== undefined && !GIVING_ROLES[changes.role].byManager) throw errors.roleBeyondManager();
    const newManager = changes.managerUserId;
    if (newManager && newManager !== managerId && !(await isManagedBy(trx, organizationId, newManager, managerId))) throw errors.managerOutsideReach();
  }

  /** checkManager refuses a manager who is not a member, or who is the member or one of their subordinates (a loop). */
  private async checkManager(trx: Tx, organizationId: string, userId: string, managerId: string): Promise<void> {
    if (managerId === userId) throw errors.managerLoop();
    if (!(await findMember(trx, organizationId, managerId))) throw errors.managerNotMember();
    if (await isManagedBy(trx, organizationId, managerId, userId)) throw errors.managerLoop();
  }
}
