import type { Principal } from "../../shared/principal.js";
import { hasPlatformPermission, type OrganizationRole } from "../authorization/index.js";
import * as errors from "./activity.errors.js";

/** READ_ACTIVITY is the permission to read another user's activity. */
const READ_ACTIVITY = "activity.read";

/** MemberDirectory answers who belongs to an organization, with which role and under whom. */
export interface MemberDirectory {
  roleIn(userId: string, organizationId: string): Promise<OrganizationRole | undefined>;
  membership(userId: string, organizationId: string): Promise<{ role: OrganizationRole; managerUserId: string | null } | undefined>;
}

/**
 * ActivityAccess finishes what authorization starts for another user's activity: the authorize
 * interceptor let an organization's admin, compliance member or manager through for the organization
 * the request names; the user read must be its member, and a manager's subordinate.
 */
export class ActivityAccess {
  constructor(private readonly members: MemberDirectory) {}

  /**
   * scopeFor says what of target's activity the caller may read: all of it (undefined) for their own
   * or with a platform role, else what did not name another organization than the one named.
   */
  async scopeFor(caller: Principal, targetUserId: string, organizationId: string | undefined): Promise<string | undefined> {
    if (targetUserId === caller.userId || hasPlatformPermission(caller.platformRoles, READ_ACTIVITY)) return undefined;
    if (!organizationId) throw errors.notOrganizationMember();
    const [callerRole, member] = await Promise.all([this.members.roleIn(caller.userId, organizationId), this.members.membership(targetUserId, organizationId)]);
    if (!member) throw errors.notOrganizationMember();
    if (callerRole === "manager" && member.managerUserId !== caller.userId) throw errors.notSubordinate();
    return organizationId;
  }
}
